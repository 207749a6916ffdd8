"""django-q2 entry points for connections: thin, idempotent, and safe to run on any worker."""

from connections.credentials import tokens


def refresh_tokens() -> int:
    """Refresh access tokens near expiry and rotate refresh tokens daily (see connections.credentials.tokens)."""
    return tokens.refresh_due_connections()
