"""The mirror: a local copy of the records matching looks at (`RemoteRecord`), so a match costs no API call.

Three ways keep it true, each cheap where the others are not:
- `load(connection, record_type)`: a paged full load, when an integration is enabled and on demand. Rows the
  load did not see are marked deleted.
- `on_event(event)`: a webhook about one record (an organization created, renamed or deleted) refetches that
  record before the event's jobs are made, so matching sees a record created a minute ago.
- `poll(connection, record_type)`: scheduled; the provider's changes since the watermark catch what a lost
  webhook missed.

Each provider's package says which record types it mirrors and how (`mirror.SOURCES`, each a
`connections.providers.mirror.Source`: page through everything, fetch one, list changes, turn a record into
a row, and which webhook events mean it changed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

import audit
from connections import registry
from connections.models import Integration
from connections.providers.errors import ProviderError
from connections.providers.mirror import Source
from syncs.matching import normalise_name
from syncs.models import MirrorState, RemoteRecord

logger = logging.getLogger(__name__)


def sources(connection) -> dict[str, Source]:
    """The record types this connection's provider mirrors (its package's `mirror.SOURCES`)."""
    return registry.part(connection.provider, "mirror") or {}


def source_for(connection, record_type: str) -> Source | None:
    return sources(connection).get(record_type)


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


def load(connection, record_type: str, progress: Callable[[int], None] | None = None) -> int:
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
    newest = None  # the latest change the load saw, in the provider's clock
    try:
        for page in source.pages(connection):
            with transaction.atomic():
                for record in page:
                    fields = source.row(record)
                    seen.add(fields["remote_id"])
                    store(connection, record_type, fields)
                    stamp = fields.get("remote_updated_at")
                    newest = max(newest, stamp) if newest and stamp else stamp or newest
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
    # Polling resumes from whichever is earlier: when the load began by our clock, or the newest change it
    # saw by the provider's. Either clock may be ahead; the earlier one misses nothing (re-reading is harmless).
    watermark = min(started, newest) if newest else started
    _save_state(state, status=MirrorState.Status.READY, loaded_at=timezone.now(), watermark=watermark)
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
    found = next(
        (
            (kind, source)
            for kind, source in sources(event.connection).items()
            if event.event_name in source.events | source.gone
        ),
        None,
    )
    if found is None or not event.object_id or not is_mirrored(event.connection, found[0]):
        return False
    record_type, source = found
    try:
        if event.event_name in source.gone:
            forget(event.connection, record_type, event.object_id)
        else:
            refresh(event.connection, record_type, event.object_id)
    except ProviderError as exc:
        logger.warning("could not refresh %s %s from %s", record_type, event.object_id, event.connection.uuid)
        audit.record(
            "mirror.refresh_failed",
            tenant=event.connection.tenant,
            connection=event.connection,
            inbound_event=event,
            level="warning",
            message=(
                f"The local copy of {event.connection.provider_name} {record_type} {event.object_id} could not be "
                f"brought up to date ({exc.message}); matching may use its previous state until polling catches "
                "it up."
            ),
            target_ref=f"{record_type}:{event.object_id}",
        )
        return False
    return True


def is_mirrored(connection, record_type: str) -> bool:
    """Whether this connection's records are mirrored: it is the target of an integration (or was loaded)."""
    if source_for(connection, record_type) is None:
        return False
    return (
        Integration.objects.filter(target=connection).exists()
        or MirrorState.objects.filter(connection=connection, record_type=record_type).exists()
    )


def poll(connection, record_type: str) -> int:
    """Mirror what changed since the watermark (the provider's changes since then); returns the count.

    Without a watermark (never loaded) it does a full load instead. Each poll asks from the source's `overlap`
    before the previous one began, so consecutive windows overlap; storing a record twice changes nothing.
    """
    source = source_for(connection, record_type)
    if source is None or source.changes is None:
        return 0
    state = state_of(connection, record_type)
    if state.watermark is None:
        return load(connection, record_type)
    started = timezone.now()
    count, until = 0, None
    for page in source.changes(connection, min(state.watermark, started) - source.overlap):
        with transaction.atomic():
            for record in page:
                store(connection, record_type, source.row(record))
                count += 1
        until = getattr(page, "until", None) or until
    # The provider's own "complete up to" where it says one (its clock, not ours; never backwards, as an empty
    # export answers with the start asked for), else when this poll began.
    _save_state(state, watermark=max(until, state.watermark) if until else started)
    return count


def connections_to_poll() -> list[tuple[int, str]]:
    """(connection pk, record type) of every mirror worth polling: loaded ones, and targets of enabled
    integrations (loaded on their first poll if enabling did not)."""
    with scopes_disabled():
        loaded = MirrorState.objects.filter(watermark__isnull=False).values_list("connection_id", "record_type")
        targets = Integration.objects.filter(enabled=True).values_list("target_id", "target__provider").distinct()
        wanted = {(pk, kind) for pk, provider in targets for kind in registry.part(provider, "mirror") or {}}
        return sorted(wanted | set(loaded))
