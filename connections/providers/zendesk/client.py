"""Zendesk API calls the flows need, and how Zendesk says things its own way.

`users/me` answers wrong credentials with an anonymous user (id null, role end-user) rather than a 401, so
a ping is good only for a real agent or admin. Legacy API tokens authenticate as `{email}/token:{token}`.
"""

import base64

from connections.providers import http
from connections.providers.errors import NotFound

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


def get_organization(connection, org_id, *, integration=None) -> dict | None:
    try:
        result = http.call(connection, "GET", f"/api/v2/organizations/{int(org_id)}.json", integration=integration)
    except NotFound:
        return None
    return result.data["organization"]


# The mirror: every organization, page by page, and the ones changed since a moment ------------------


def organizations_page(connection, *, after: str | None = None, integration=None) -> tuple[list[dict], str | None]:
    """One cursor page of up to 100 organizations, and the cursor of the next page (None after the last)."""
    params = {"page[size]": 100, **({"page[after]": after} if after else {})}
    data = http.call(connection, "GET", "/api/v2/organizations.json", params=params, integration=integration).data
    meta = data.get("meta") or {}
    return data["organizations"], (meta.get("after_cursor") if meta.get("has_more") else None)


def organizations_changed_since(connection, start_time: int, *, integration=None) -> tuple[list[dict], int, bool]:
    """Zendesk's incremental export: organizations updated at or after `start_time` (epoch seconds, at least a
    minute old), oldest first; returns (organizations, end_time to resume from, end_of_stream). Needs an admin;
    a full page ends mid-second, so the next one repeats that second's records."""
    data = http.call(
        connection,
        "GET",
        "/api/v2/incremental/organizations.json",
        params={"start_time": int(start_time)},
        integration=integration,
    ).data
    return data["organizations"], int(data.get("end_time") or start_time), bool(data.get("end_of_stream", True))
