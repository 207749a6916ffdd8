"""Zendesk API calls the flows need, and how Zendesk says things its own way.

`users/me` answers wrong credentials with an anonymous user (id null, role end-user) rather than a 401, so
a ping is good only for a real agent or admin. Legacy API tokens authenticate as `{email}/token:{token}`.
"""

import base64

from connections.providers import http

ME_PATH = "/api/v2/users/me.json"
LEGACY_RETIREMENT = {
    "unused_deactivated": "2026-07-28",
    "no_new_tokens": "2026-10-27",
    "all_deactivated": "2027-04-30",
}


def api_token_headers(connection) -> dict:
    email = connection.settings.get("email", "")
    raw = base64.b64encode(f"{email}/token:{connection.api_token}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def ping(connection) -> tuple[bool, str]:
    user = (http.call(connection, "GET", ME_PATH, audit_kind="connection.ping").data or {}).get("user") or {}
    subdomain = connection.addresses.get("subdomain")
    if not user.get("id") or user.get("role") not in ("admin", "agent"):
        return False, (
            f"Zendesk ({subdomain}) answered, but as an anonymous visitor: the credentials were not accepted. "
            "Check the e-mail and token, or reconnect."
        )
    return True, f"Zendesk ({subdomain}) answered: signed in as {user.get('name')} ({user.get('role')})."


def revoke(connection) -> None:
    """On disconnect: revoke the OAuth token we hold (API tokens belong to the customer's admin)."""
    if connection.access_token:
        http.call(connection, "DELETE", "/api/v2/oauth/tokens/current.json", audit_kind="connection.revoke")
