"""Zendesk API calls the flows need, and how Zendesk says things its own way.

`users/me` answers wrong credentials with an anonymous user (id null, role end-user) rather than a 401, so
a ping is good only for a real agent or admin. Legacy API tokens authenticate as `{email}/token:{token}`.
"""

import base64

from connections.providers import http
from connections.providers.errors import Invalid, NotFound

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


# Organizations, their custom fields, tickets and internal notes ----------------------------------------

CLOSED_STATUSES = frozenset({"solved", "closed"})


def get_organization(connection, org_id, *, integration=None) -> dict | None:
    try:
        result = http.call(connection, "GET", f"/api/v2/organizations/{int(org_id)}.json", integration=integration)
    except NotFound:
        return None
    return result.data["organization"]


def create_or_update_organization(connection, fields: dict, *, integration=None) -> dict:
    """Matched on `external_id` (never on name), so creating with an external id of ours is idempotent: a
    retry after a lost answer finds the organization instead of making a second one."""
    body = {"organization": fields}
    path = "/api/v2/organizations/create_or_update.json"
    return http.call(connection, "POST", path, json_body=body, integration=integration).data["organization"]


def update_organization(connection, org_id, fields: dict, *, integration=None) -> dict:
    """PUT semantics: the given keys overwrite (`notes`, `details`), `organization_fields` merge by key."""
    body = {"organization": fields}
    path = f"/api/v2/organizations/{int(org_id)}.json"
    return http.call(connection, "PUT", path, json_body=body, integration=integration).data["organization"]


def organization_fields(connection, *, integration=None) -> list[dict]:
    found, page = [], 1
    while True:
        result = http.call(
            connection,
            "GET",
            "/api/v2/organization_fields.json",
            params={"page": page, "per_page": 100},
            integration=integration,
        )
        found += result.data["organization_fields"]
        if not result.data.get("next_page"):
            return found
        page += 1


def create_organization_field(connection, key: str, field_type: str, title: str, *, integration=None) -> dict:
    body = {"organization_field": {"key": key, "type": field_type, "title": title}}
    return http.call(
        connection, "POST", "/api/v2/organization_fields.json", json_body=body, integration=integration
    ).data["organization_field"]


def open_tickets_of_organization(connection, org_id, *, integration=None) -> list[dict]:
    """The organization's tickets that can still take a note (closed ones refuse updates; solved ones are done).

    Zendesk offers no status filter on this list, so it is read with cursor pages of 100 and filtered here.
    """
    tickets, params = [], {"page[size]": 100}
    path = f"/api/v2/organizations/{int(org_id)}/tickets.json"
    while True:
        data = http.call(connection, "GET", path, params=params, integration=integration).data
        tickets += [t for t in data["tickets"] if t.get("status") not in CLOSED_STATUSES]
        meta = data.get("meta") or {}
        if not meta.get("has_more"):
            return tickets
        params = {"page[size]": 100, "page[after]": meta["after_cursor"]}


def get_ticket(connection, ticket_id, *, integration=None) -> dict | None:
    try:
        return http.call(connection, "GET", f"/api/v2/tickets/{int(ticket_id)}.json", integration=integration).data[
            "ticket"
        ]
    except NotFound:
        return None


def refused_as_closed(connection, ticket_id, exc: Invalid, *, integration=None) -> bool:
    """Whether a 422 on a ticket update was the ticket being closed: the refusal names the `status` field and
    the ticket, read again, is closed (or gone). Read from the answer's structure and the ticket itself, not
    from a word in a message another refusal could contain too."""
    body = exc.details if isinstance(exc.details, dict) else {}
    details = body.get("details") if isinstance(body.get("details"), dict) else {}
    if "status" not in details:
        return False
    ticket = get_ticket(connection, ticket_id, integration=integration)
    return ticket is None or ticket.get("status") == "closed"


def get_user(connection, user_id, *, integration=None) -> dict | None:
    try:
        return http.call(connection, "GET", f"/api/v2/users/{int(user_id)}.json", integration=integration).data["user"]
    except NotFound:
        return None


def add_internal_note(connection, ticket_id, body: str, *, integration=None) -> dict:
    """An internal note: `public` is sent as false every time, since a ticket's first comment makes it sticky."""
    payload = {"ticket": {"comment": {"body": body, "public": False}}}
    path = f"/api/v2/tickets/{int(ticket_id)}.json"
    return http.call(connection, "PUT", path, json_body=payload, integration=integration).data


def ticket_comments(connection, ticket_id, *, integration=None) -> list[dict]:
    found, page = [], 1
    while True:
        data = http.call(
            connection,
            "GET",
            f"/api/v2/tickets/{int(ticket_id)}/comments.json",
            params={"page": page, "per_page": 100},
            integration=integration,
        ).data
        found += data["comments"]
        if not data.get("next_page"):
            return found
        page += 1


def organizations_named(connection, name: str, *, integration=None) -> list[dict]:
    """Exact, case-insensitive and immediate (unlike /search.json, whose index lags minutes)."""
    result = http.call(
        connection, "GET", "/api/v2/organizations/search.json", params={"name": name}, integration=integration
    )
    return result.data.get("organizations") or []


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
