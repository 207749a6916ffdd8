"""Acme Books calls: a ping."""

from connections.providers import http


def ping(connection) -> tuple[bool, str]:
    me = http.call(connection, "GET", "/me", audit_kind="connection.ping").data or {}
    return True, f"Acme Books answered: signed in as {me.get('email', 'unknown')}."
