"""The mirror: a local copy of the records matching looks at (`RemoteRecord`), so a match costs no API call.

Three ways keep it true, each cheap where the others are not:
- `load(connection, record_type)`: a paged full load, when an integration is enabled and on demand. Rows the
  load did not see are marked deleted.
- `on_event(event)`: a webhook about one record (Zendesk `organization.created`, `name_changed`,
  `external_id_changed`, `deleted`) refetches that record before the event's jobs are made, so matching
  sees an organization created a minute ago.
- `poll(connection, record_type)`: scheduled; the provider's incremental export from the watermark catches
  what a lost webhook missed.

Each provider and record type has a `Source`: how to page through everything, fetch one, list changes, and
turn a record into a row. Zendesk organizations are the first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connections.providers.errors import ProviderError
from connections.providers.freshbooks import client as freshbooks
from connections.providers.zendesk import client as zendesk
from syncs.matching import normalise_name
from syncs.models import MirrorState, RemoteRecord

logger = logging.getLogger(__name__)

# Zendesk's incremental export refuses a start_time less than a minute old.
MIN_EXPORT_AGE = timedelta(seconds=61)


@dataclass(frozen=True)
class Source:
    """How one provider's records of one type reach the mirror."""

    pages: Callable[..., Iterator[list[dict]]]  # (connection) -> pages of records, all of them
    fetch: Callable[..., dict | None]  # (connection, remote_id) -> the record, None when gone
    changes: Callable[..., Iterator[list[dict]]] | None  # (connection, since: datetime) -> pages of changes
    row: Callable[[dict], dict]  # record -> RemoteRecord fields, with "remote_id"


def _zendesk_pages(connection) -> Iterator[list[dict]]:
    after = ""
    while after is not None:
        organizations, after = zendesk.organizations_page(connection, after=after or None)
        yield organizations


def _zendesk_changes(connection, since: datetime) -> Iterator[list[dict]]:
    start = int(since.timestamp())
    while True:
        organizations, end_time, done = zendesk.organizations_changed_since(connection, start)
        yield organizations
        if done or end_time <= start:
            return
        start = end_time


def _zendesk_fetch(connection, remote_id: str) -> dict | None:
    return zendesk.get_organization(connection, remote_id)


def _zendesk_row(organization: dict) -> dict:
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


def _freshbooks_pages(connection, since: datetime | None = None) -> Iterator[list[dict]]:
    page, more = 1, True
    while more:
        clients, more = freshbooks.list_records(connection, "client", since=since, page=page)
        yield clients
        page += 1


def _freshbooks_fetch(connection, remote_id: str) -> dict | None:
    return freshbooks.get_record(connection, "client", remote_id)


def _freshbooks_row(client: dict) -> dict:
    person = " ".join(part for part in (client.get("fname"), client.get("lname")) if part)
    updated = parse_datetime(client.get("updated") or "")
    if updated is not None and timezone.is_naive(updated):
        updated = timezone.make_aware(updated, FRESHBOOKS_ZONE)
    return {
        "remote_id": str(client["id"]),
        "name": client.get("organization") or person or client.get("email") or "",
        "emails": [client["email"]] if client.get("email") else [],
        "external_id": None,
        "summary": {"person": person, "phone": client.get("bus_phone") or client.get("mob_phone") or ""},
        "remote_updated_at": updated,
        "deleted": client.get("vis_state", 0) != 0,
    }


# FreshBooks writes `updated` without a zone, in US Eastern time.
FRESHBOOKS_ZONE = ZoneInfo("America/New_York")

SOURCES: dict[tuple[str, str], Source] = {
    ("zendesk", "organization"): Source(_zendesk_pages, _zendesk_fetch, _zendesk_changes, _zendesk_row),
    # The source side, for the fit check and the reverse (possible duplicate) check.
    ("freshbooks", "client"): Source(_freshbooks_pages, _freshbooks_fetch, _freshbooks_pages, _freshbooks_row),
}

# Webhook events that say a mirrored record changed: (provider, event name) -> record type.
EVENTS = {
    ("zendesk", "organization.created"): "organization",
    ("zendesk", "organization.name_changed"): "organization",
    ("zendesk", "organization.external_id_changed"): "organization",
    ("zendesk", "organization.deleted"): "organization",
    ("freshbooks", "client.create"): "client",
    ("freshbooks", "client.update"): "client",
    ("freshbooks", "client.delete"): "client",
}


def source_for(connection, record_type: str) -> Source | None:
    return SOURCES.get((connection.provider, record_type))


def store(connection, record_type: str, fields: dict) -> RemoteRecord:
    """Insert or update one mirrored record from its `Source.row` fields."""
    fields = dict(fields)
    remote_id = str(fields.pop("remote_id"))
    fields["normalised_name"] = normalise_name(fields.get("name"))
    fields.setdefault("deleted", False)
    row, _ = RemoteRecord.objects.update_or_create(
        connection=connection,
        record_type=record_type,
        remote_id=remote_id,
        defaults={"tenant": connection.tenant, **fields},
    )
    return row


def forget(connection, record_type: str, remote_id: str) -> None:
    """Mark a record deleted (kept as a row, so match indexes learn of it from the rows changed since)."""
    RemoteRecord.objects.filter(connection=connection, record_type=record_type, remote_id=str(remote_id)).update(
        deleted=True, updated_at=timezone.now()
    )


def state_of(connection, record_type: str) -> MirrorState:
    state, _ = MirrorState.objects.get_or_create(
        connection=connection, record_type=record_type, defaults={"tenant": connection.tenant}
    )
    return state


def _save_state(state: MirrorState, **fields) -> None:
    for name, value in fields.items():
        setattr(state, name, value)
    MirrorState.objects.filter(pk=state.pk).update(**fields, updated_at=timezone.now())


def load(connection, record_type: str = "organization", progress: Callable[[int], None] | None = None) -> int:
    """Read every record page by page into the mirror; rows not seen are marked deleted. Returns the count.

    `progress`, if given, is called with the number of records read so far after each page.
    """
    source = source_for(connection, record_type)
    if source is None:
        raise ValueError(f"No mirror for {connection.provider} {record_type} records.")
    state = state_of(connection, record_type)
    started = timezone.now()
    _save_state(state, status=MirrorState.Status.LOADING, loaded=0, last_error="")
    seen: set[str] = set()
    try:
        for page in source.pages(connection):
            with transaction.atomic():
                for record in page:
                    fields = source.row(record)
                    seen.add(fields["remote_id"])
                    store(connection, record_type, fields)
            _save_state(state, loaded=len(seen))
            if progress:
                progress(len(seen))
    except ProviderError as exc:
        _save_state(state, status=MirrorState.Status.FAILED, last_error=str(exc))
        raise
    gone = RemoteRecord.objects.filter(connection=connection, record_type=record_type, deleted=False).exclude(
        remote_id__in=seen
    )
    # Rows written since the load began came from webhooks and are newer than what the load read.
    gone.filter(updated_at__lt=started).update(deleted=True, updated_at=timezone.now())
    _save_state(state, status=MirrorState.Status.READY, loaded_at=timezone.now(), watermark=started)
    return len(seen)


def refresh(connection, record_type: str, remote_id: str) -> RemoteRecord | None:
    """Fetch one record again and mirror what it is now (None: it is gone, and so marked)."""
    source = source_for(connection, record_type)
    record = source.fetch(connection, remote_id) if source else None
    if record is None or (source and source.row(record)["deleted"]):
        forget(connection, record_type, remote_id)
        return None
    return store(connection, record_type, source.row(record))


def on_event(event) -> bool:
    """Bring the mirror up to date with a webhook about one of its records; True when it did.

    Called before the event's jobs are made. A provider error is logged, not raised: jobs must still be
    made, and polling catches the record up later.
    """
    record_type = EVENTS.get((event.provider, event.event_name))
    if record_type is None or not event.object_id or not is_mirrored(event.connection, record_type):
        return False
    try:
        if event.event_name.endswith(".deleted"):
            forget(event.connection, record_type, event.object_id)
        else:
            refresh(event.connection, record_type, event.object_id)
    except ProviderError:
        logger.warning("could not refresh %s %s from %s", record_type, event.object_id, event.connection.uuid)
        return False
    return True


def is_mirrored(connection, record_type: str) -> bool:
    """Whether this connection's records are mirrored: it is the target of an integration (or was loaded)."""
    from connections.models import Integration

    if source_for(connection, record_type) is None:
        return False
    return (
        Integration.objects.filter(target=connection).exists()
        or MirrorState.objects.filter(connection=connection, record_type=record_type).exists()
    )


def poll(connection, record_type: str = "organization") -> int:
    """Mirror what changed since the watermark (the provider's incremental export); returns the count.

    Without a watermark (never loaded) it does a full load instead. Each poll asks from at least a minute
    before the previous one began (Zendesk refuses a younger start), so consecutive windows overlap; storing
    a record twice changes nothing.
    """
    source = source_for(connection, record_type)
    if source is None or source.changes is None:
        return 0
    state = state_of(connection, record_type)
    if state.watermark is None:
        return load(connection, record_type)
    started = timezone.now()
    count = 0
    for page in source.changes(connection, min(state.watermark, started) - MIN_EXPORT_AGE):
        with transaction.atomic():
            for record in page:
                store(connection, record_type, source.row(record))
                count += 1
    _save_state(state, watermark=started)
    return count


def connections_to_poll() -> list[tuple[int, str]]:
    """(connection pk, record type) of every mirror worth polling: loaded ones, and targets of enabled
    integrations (loaded on their first poll if enabling did not)."""
    from django_scopes import scopes_disabled

    from connections.models import Integration

    with scopes_disabled():
        loaded = MirrorState.objects.filter(watermark__isnull=False).values_list("connection_id", "record_type")
        targets = Integration.objects.filter(enabled=True).values_list("target_id", "target__provider").distinct()
        wanted = {(pk, kind) for pk, provider in targets for (p, kind) in SOURCES if p == provider}
        return sorted(wanted | set(loaded))
