"""The way in: webhooks verified, stored and acknowledged (`webhooks`), then turned into jobs (`events`)."""
