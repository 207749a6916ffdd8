"""Secrets at rest, token renewal, the OAuth connect pipeline and the connect pages."""
