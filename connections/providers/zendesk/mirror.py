"""Zendesk organizations in the mirror: what matching looks at, kept fresh by webhooks and the incremental export."""

from collections.abc import Iterator
from datetime import UTC, datetime

from django.utils.dateparse import parse_datetime

from connections.providers.mirror import ChangePage, Source
from connections.providers.zendesk import client as zendesk


def organization_pages(connection) -> Iterator[list[dict]]:
    after = ""
    while after is not None:
        organizations, after = zendesk.organizations_page(connection, after=after or None)
        yield organizations


def organization_changes(connection, since: datetime) -> Iterator[list[dict]]:
    start = int(since.timestamp())
    while True:
        organizations, end_time, done = zendesk.organizations_changed_since(connection, start)
        yield ChangePage(organizations, until=datetime.fromtimestamp(end_time, tz=UTC))
        if done or end_time <= start:
            return
        start = end_time


def fetch_organization(connection, remote_id: str) -> dict | None:
    return zendesk.get_organization(connection, remote_id)


def organization_row(organization: dict) -> dict:
    notes = organization.get("notes") or ""
    return {
        "remote_id": str(organization["id"]),
        "name": organization.get("name") or "",
        "emails": [],
        "external_id": organization.get("external_id") or None,
        "summary": {
            "domain_names": organization.get("domain_names") or [],
            "tags": organization.get("tags") or [],
            "details": (organization.get("details") or "")[:200],
            "notes": notes[:200],
        },
        "remote_updated_at": parse_datetime(organization["updated_at"]) if organization.get("updated_at") else None,
        "deleted": bool(organization.get("deleted_at")),
    }


SOURCES = {
    # The incremental export refuses a start_time less than a minute old: the Source's default overlap.
    "organization": Source(
        organization_pages,
        fetch_organization,
        organization_changes,
        organization_row,
        events=frozenset({"organization.created", "organization.name_changed", "organization.external_id_changed"}),
        gone=frozenset({"organization.deleted"}),
    ),
}
