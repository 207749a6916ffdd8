"""The pages where a workspace sees its connections and integrations, and configures them."""
