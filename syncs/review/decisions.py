"""The review queue's decisions: link, create new, dismiss, and undoing a link.

Plain functions shared by the review queue page, the API and the tests. Each is audited with the person who
made it and releases the jobs that waited for it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

import audit
from syncs.engine.jobs import release, rematch, waiting_for
from syncs.matching import normalise_name
from syncs.models import MatchAlias, RecordLink, ReviewItem, SyncJob
from syncs.review.index import invalidate, mirror_rows


class AlreadyDecided(Exception):
    """The review item was decided already (by someone else, a moment ago)."""


def _claim(item: ReviewItem, status: str, user, **fields) -> ReviewItem:
    """Move an open item to its decision once: a second click, or a colleague's, finds it decided."""
    now = timezone.now()
    done = ReviewItem.objects.filter(pk=item.pk, status=ReviewItem.Status.OPEN).update(
        status=status, decided_by=user, decided_at=now, updated_at=now, **fields
    )
    if not done:
        raise AlreadyDecided(f"This item was already decided ({item.get_status_display().lower()}).")
    item.refresh_from_db()
    return item


def _audit(item: ReviewItem, kind: str, message: str, user, target_ref=None, **data) -> None:
    audit.record(
        kind,
        tenant=item.tenant,
        integration=item.integration,
        actor=user,
        message=message,
        source_ref=f"{item.source_type}:{item.source_id}",
        target_ref=target_ref,
        data={"review_item": str(item.uuid), "decision": item.status, **data},
    )


def _known_record(item: ReviewItem, record_id: str) -> str | None:
    """The name of `record_id` if it is a candidate or in the mirror of the side the item picks from."""
    for candidate in item.candidates:
        if candidate["record_id"] == record_id:
            return candidate["name"]
    integration = item.integration
    if item.kind == ReviewItem.Kind.MATCH:
        connection, record_type = integration.target, item.target_type
    else:
        connection, record_type = integration.source, item.candidate_type
    row = mirror_rows(connection, record_type).filter(remote_id=record_id, deleted=False).first()
    return row.name if row else None


@transaction.atomic
def link(item: ReviewItem, record_id: str, user) -> RecordLink:
    """A person's "this is the one": a manual RecordLink (which always wins), an alias, the jobs released."""
    record_id = str(record_id)
    chosen = _known_record(item, record_id)
    if chosen is None:
        raise ValueError(f"{record_id!r} is neither a candidate nor a known record.")
    item = _claim(item, ReviewItem.Status.LINKED, user, linked_record_id=record_id)
    if item.kind == ReviewItem.Kind.MATCH:
        source_type, source_id, target_id, alias_name = item.source_type, item.source_id, record_id, item.name
    else:
        source_type, source_id, target_id, alias_name = item.candidate_type, record_id, item.source_id, chosen
    record_link, _created = RecordLink.objects.update_or_create(
        integration=item.integration,
        source_type=source_type,
        source_id=source_id,
        target_type=item.target_type,
        defaults={"tenant": item.tenant, "target_id": target_id, "method": RecordLink.Method.MANUAL},
    )
    if normalise_name(alias_name):
        MatchAlias.objects.get_or_create(
            integration=item.integration,
            normalised_name=normalise_name(alias_name),
            target_type=item.target_type,
            target_id=target_id,
            defaults={"tenant": item.tenant, "source_name": alias_name, "created_by": user},
        )
    _audit(
        item,
        "review.linked",
        f"{user} linked {source_type} {source_id} ({item.name if item.kind == 'match' else chosen!r}) to "
        f"{item.target_type} {target_id}.",
        user,
        target_ref=f"{item.target_type}:{target_id}",
        record_id=record_id,
    )
    settle_related(item, source_type, source_id, target_id, user)
    release_jobs(item.integration, source_type, source_id)
    if item.kind == ReviewItem.Kind.POSSIBLE_DUPLICATE:
        release_jobs(item.integration, item.source_type, item.source_id)
    return record_link


def settle_related(item: ReviewItem, source_type: str, source_id: str, target_id: str, user) -> None:
    """A link answers the other open questions about the same pair: the source record's match, and the
    target record's possible duplicate."""
    now = timezone.now()
    others = ReviewItem.objects.filter(integration=item.integration, status=ReviewItem.Status.OPEN).exclude(pk=item.pk)
    decided = {"status": ReviewItem.Status.LINKED, "decided_by": user, "decided_at": now, "updated_at": now}
    others.filter(kind=ReviewItem.Kind.MATCH, source_type=source_type, source_id=source_id).update(
        linked_record_id=target_id, **decided
    )
    others.filter(kind=ReviewItem.Kind.POSSIBLE_DUPLICATE, source_type=item.target_type, source_id=target_id).update(
        linked_record_id=source_id, **decided
    )


@transaction.atomic
def create_new(item: ReviewItem, user) -> ReviewItem:
    """A person's "none of these: create it on the target"; the waiting job then creates the record."""
    if item.kind != ReviewItem.Kind.MATCH:
        raise ValueError("Only a match can be answered with a new record.")
    item = _claim(item, ReviewItem.Status.CREATED_NEW, user)
    _audit(item, "review.created_new", f"{user} chose to create a new {item.target_type} for {item.name!r}.", user)
    release_jobs(item.integration, item.source_type, item.source_id)
    return item


@transaction.atomic
def dismiss(item: ReviewItem, user) -> ReviewItem:
    """A person's "not a match": the candidates are never linked automatically to this record.

    For a match, the jobs that waited finish without writing (the record is left alone until it changes,
    when matching runs again without the rejected candidates); for a possible duplicate, nothing waited.
    """
    item = _claim(item, ReviewItem.Status.DISMISSED, user)
    _audit(item, "review.dismissed", f"{user} said {item.name!r} matches none of the candidates.", user)
    if item.kind == ReviewItem.Kind.MATCH:
        waiting_for(item.integration, item.source_type, item.source_id).update(
            status=SyncJob.Status.SUCCEEDED,
            finished_at=timezone.now(),
            result={"outcome": "skipped", "reason": "a person said none of the candidates is a match"},
        )
    return item


def release_jobs(integration, source_type: str, source_id: str) -> list[int]:
    """Jobs waiting for a decision about this record run now (after the decision commits)."""
    return release(waiting_for(integration, source_type, source_id))


@transaction.atomic
def undo_link(record_link: RecordLink, user) -> SyncJob | None:
    """Undo a person's link: the link and its aliases go, and (when the integration is on) a new job matches
    the record afresh, which may ask a person again. Returns that job."""
    if record_link.method != RecordLink.Method.MANUAL:
        raise ValueError("Only a link made by a person can be undone here.")
    integration = record_link.integration
    decided = ReviewItem.objects.filter(integration=integration, status=ReviewItem.Status.LINKED)
    names = set(
        decided.filter(
            kind=ReviewItem.Kind.MATCH,
            source_type=record_link.source_type,
            source_id=record_link.source_id,
            linked_record_id=record_link.target_id,
        ).values_list("source_summary__name", flat=True)
    )
    for item in decided.filter(
        kind=ReviewItem.Kind.POSSIBLE_DUPLICATE,
        source_type=record_link.target_type,
        source_id=record_link.target_id,
        linked_record_id=record_link.source_id,
    ):
        names |= {c["name"] for c in item.candidates if c["record_id"] == record_link.source_id}
    aliases = MatchAlias.objects.filter(
        integration=integration, target_type=record_link.target_type, target_id=record_link.target_id
    ).filter(normalised_name__in={normalise_name(name) for name in names if name})
    removed = list(aliases.values_list("source_name", flat=True))
    aliases.delete()
    record_link.delete()
    audit.record(
        "link.undone",
        tenant=record_link.tenant,
        integration=integration,
        actor=user,
        message=f"{user} undid the link of {record_link.source_type} {record_link.source_id} to "
        f"{record_link.target_type} {record_link.target_id}.",
        source_ref=f"{record_link.source_type}:{record_link.source_id}",
        target_ref=f"{record_link.target_type}:{record_link.target_id}",
        data={"aliases_removed": removed},
    )
    transaction.on_commit(lambda: invalidate(integration))
    return rematch(integration, record_link.source_type, record_link.source_id)
