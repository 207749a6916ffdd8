"""Matching in a flow, and the review queue's decisions.

`match_or_review(ctx, ...)` is what a flow's `find_target` calls: it answers with the target record and how
it was found when it is sure (a manual link, an exact external id, an alias, an exact e-mail or name, a
fuzzy match at or above `auto_link`, with a warning in the audit log), and otherwise opens a `ReviewItem`
and raises `NeedsReview`, which parks the job in `waiting_review` until a person decides.

The decisions (`link`, `create_new`, `dismiss`, and `undo_link`) are plain functions shared by the review
queue page, the API and the tests. Each is audited with the person who made it and releases the jobs that
waited for it.

Matching runs against an in-memory `MatchIndex` of the target mirror (`RemoteRecord`) and the integration's
aliases, built once per process and integration and record type (100,000 names take over a second), then
kept fresh from the mirror rows changed since it last looked.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

import audit
from syncs.flows.base import NeedsReview
from syncs.matching import (
    DEFAULT_THRESHOLDS,
    Candidate,
    MatchDecision,
    MatchIndex,
    MatchKind,
    TargetRecord,
    Thresholds,
    normalise_name,
)
from syncs.models import MatchAlias, RecordLink, RemoteRecord, ReviewItem, SyncJob

__all__ = [
    "AlreadyDecided",
    "create_new",
    "dismiss",
    "index_for",
    "link",
    "match_or_review",
    "possible_duplicate",
    "release_jobs",
    "thresholds_for",
    "undo_link",
]

METHOD_FOR_KIND = {
    MatchKind.MANUAL: RecordLink.Method.MANUAL,
    MatchKind.ALIAS: RecordLink.Method.MANUAL,
    MatchKind.EXTERNAL_ID: RecordLink.Method.EXACT,
    MatchKind.EMAIL: RecordLink.Method.EXACT,
    MatchKind.NAME: RecordLink.Method.EXACT,
    MatchKind.FUZZY: RecordLink.Method.FUZZY,
}


class AlreadyDecided(Exception):
    """The review item was decided already (by someone else, a moment ago)."""


def thresholds_for(integration) -> Thresholds:
    """The integration's `auto_link`, `review` and `margin` options, else the measured defaults."""
    options = integration.options or {}
    values = {key: float(options[key]) for key in ("auto_link", "review", "margin") if options.get(key) is not None}
    if not values:
        return DEFAULT_THRESHOLDS
    merged = {
        "auto_link": DEFAULT_THRESHOLDS.auto_link,
        "review": DEFAULT_THRESHOLDS.review,
        "margin": DEFAULT_THRESHOLDS.margin,
    }
    return Thresholds(**{**merged, **values})


# The index cache --------------------------------------------------------------------------------------


@dataclass
class _Cached:
    index: MatchIndex
    seen_until: datetime
    alias_ids: set[int] = field(default_factory=set)
    generation: int = 0
    # (remote id -> updated_at) of rows read within the last SLACK, so a row read twice is applied once
    recent: dict[str, datetime] = field(default_factory=dict)


# A row is stamped when it is saved but seen by others only when its transaction commits; each look reaches
# this far back, so a row committed a little after its stamp is not missed.
SLACK = timedelta(seconds=10)


_INDEXES: dict[tuple, _Cached] = {}
_LOCK = threading.Lock()


def _generation_key(integration) -> str:
    return f"match-index-generation:{integration.uuid}"


def _generation(integration) -> int:
    return cache.get(_generation_key(integration)) or 0


def invalidate(integration) -> None:
    """Make every process rebuild this integration's indexes (an alias was removed: an index only grows)."""
    key = _generation_key(integration)
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=None)


def _as_target(row: RemoteRecord) -> TargetRecord:
    return TargetRecord(row.remote_id, row.name, tuple(row.emails or ()), row.external_id or None)


def _mirror(connection, record_type: str):
    return RemoteRecord.objects.filter(connection=connection, record_type=record_type)


def _build(integration, connection, record_type: str, generation: int) -> _Cached:
    started = timezone.now()
    rows = _mirror(connection, record_type).filter(deleted=False)
    records = (
        TargetRecord(remote_id, name, tuple(emails or ()), external_id or None)
        for remote_id, name, emails, external_id in rows.values_list("remote_id", "name", "emails", "external_id")
        .order_by()
        .iterator(chunk_size=5000)
    )
    aliases = list(
        MatchAlias.objects.filter(integration=integration, target_type=record_type).values_list(
            "pk", "source_name", "target_id"
        )
    )
    index = MatchIndex(
        records,
        aliases=[(name, target_id) for _pk, name, target_id in aliases],
        thresholds=thresholds_for(integration),
    )
    return _Cached(index, started, {pk for pk, _name, _target in aliases}, generation)


def _refresh(cached: _Cached, integration, connection, record_type: str) -> None:
    started = timezone.now()
    since = cached.seen_until - SLACK
    changed = _mirror(connection, record_type).filter(updated_at__gte=since).order_by("updated_at")
    for row in changed:
        if cached.recent.get(row.remote_id) == row.updated_at:
            continue
        cached.recent[row.remote_id] = row.updated_at
        if row.deleted:
            cached.index.remove(row.remote_id)
        else:
            cached.index.add(_as_target(row))
    cached.recent = {key: stamp for key, stamp in cached.recent.items() if stamp >= started - SLACK}
    aliases = MatchAlias.objects.filter(integration=integration, target_type=record_type, created_at__gte=since)
    for alias in aliases:
        if alias.pk not in cached.alias_ids:
            cached.index.add_alias(alias.source_name, alias.target_id)
            cached.alias_ids.add(alias.pk)
    cached.seen_until = started
    cached.index.thresholds = thresholds_for(integration)


def index_for(integration, record_type: str = "organization", connection=None) -> MatchIndex:
    """The match index over `connection`'s mirror (default: the integration's target) and its aliases."""
    connection = connection or integration.target
    key = (connection.uuid, record_type, integration.uuid)
    generation = _generation(integration)
    with _LOCK:
        cached = _INDEXES.get(key)
        if cached is None or cached.generation != generation:
            cached = _INDEXES[key] = _build(integration, connection, record_type, generation)
        else:
            _refresh(cached, integration, connection, record_type)
        return cached.index


def forget_indexes() -> None:
    """Drop every cached index (tests; a process that wants its memory back)."""
    with _LOCK:
        _INDEXES.clear()


# Matching in a flow ------------------------------------------------------------------------------------


def _candidate_json(candidate: Candidate) -> dict:
    return {
        "record_id": candidate.record_id,
        "name": candidate.name,
        "score": candidate.score,
        "why": candidate.why,
        "agrees": list(candidate.agrees),
        "differs": list(candidate.differs),
    }


def _summary(name: str, emails, external_id, summary: dict | None) -> dict:
    return {"name": name, "emails": [e for e in emails if e], "external_id": external_id or "", **(summary or {})}


def match_or_review(
    ctx,
    *,
    source_type: str,
    source_id: str,
    name: str,
    emails=(),
    external_id: str | None = None,
    record_type: str = "organization",
    use_email: bool = False,
    summary: dict | None = None,
) -> tuple[str | None, str]:
    """(target record id, RecordLink method) for a source record, or raise `NeedsReview` with an open item.

    A manual link for this source record wins over everything; a person's "create new" decision answers
    (None, "created"). Candidates a person rejected ("Not a match") are never linked automatically.
    """
    integration, source_id = ctx.integration, str(source_id)
    manual = RecordLink.objects.filter(
        integration=integration,
        source_type=source_type,
        source_id=source_id,
        target_type=record_type,
        method=RecordLink.Method.MANUAL,
    ).first()
    if manual is not None:
        return manual.target_id, RecordLink.Method.MANUAL
    decided = (
        ReviewItem.objects.filter(
            integration=integration, kind=ReviewItem.Kind.MATCH, source_type=source_type, source_id=source_id
        )
        .exclude(status=ReviewItem.Status.OPEN)
        .order_by("-decided_at", "-id")
    )
    latest = decided.first()
    if latest is not None and latest.status == ReviewItem.Status.CREATED_NEW:
        return None, RecordLink.Method.CREATED
    rejected = {
        candidate["record_id"]
        for item in decided.filter(status=ReviewItem.Status.DISMISSED)
        for candidate in item.candidates
    }
    emails = tuple(emails or ())
    decision = index_for(integration, record_type).match(
        name, emails=emails, external_id=external_id, use_email=use_email
    )
    if decision.linked and decision.candidate.record_id not in rejected:
        method = METHOD_FOR_KIND[decision.kind]
        target_ref = f"{record_type}:{decision.candidate.record_id}"
        if decision.warn:
            ctx.record(
                "match.fuzzy_linked",
                f"{name!r} linked to {decision.candidate.name!r} by a fuzzy match (score "
                f"{decision.candidate.score:g}); check it if in doubt.",
                "warning",
                {"score": decision.candidate.score, "why": decision.candidate.why, "reason": decision.reason},
                target_ref=target_ref,
            )
        return decision.candidate.record_id, method
    reason = decision.reason if not decision.linked else "a person said this candidate is not a match"
    item = open_item(
        ctx,
        kind=ReviewItem.Kind.MATCH,
        source_type=source_type,
        source_id=source_id,
        summary=_summary(name, emails, external_id, summary),
        target_type=record_type,
        decision=decision,
        reason=reason,
    )
    raise NeedsReview(f"{name!r} needs a person to decide its {record_type} ({reason}).", review_item=item)


def open_item(
    ctx,
    *,
    kind: str,
    source_type: str,
    source_id: str,
    summary: dict,
    target_type: str,
    decision: MatchDecision,
    reason: str,
    candidate_type: str = "",
    notes: dict[str, str] | None = None,
) -> ReviewItem:
    """The open item for this record and kind, created or refreshed with the latest candidates.

    `notes` add a difference to some candidates (by record id), e.g. that one is linked elsewhere already.
    """
    integration = ctx.integration
    candidates = [_candidate_json(candidate) for candidate in decision.candidates]
    for candidate in candidates:
        if note := (notes or {}).get(candidate["record_id"]):
            candidate["differs"].append(note)
            candidate["why"] = "; ".join(part for part in (candidate["why"], note) if part)
    values = {
        "source_summary": summary,
        "target_type": target_type,
        "candidate_type": candidate_type,
        "candidates": candidates,
        "reason": reason[:300],
    }
    lookup = {
        "integration": integration,
        "kind": kind,
        "source_type": source_type,
        "source_id": str(source_id),
        "status": ReviewItem.Status.OPEN,
    }
    item = ReviewItem.objects.filter(**lookup).first()
    if item is not None:
        for name, value in values.items():
            setattr(item, name, value)
        item.save(update_fields=[*values, "updated_at"])
        return item
    try:
        with transaction.atomic():
            item = ReviewItem.objects.create(tenant=integration.tenant, **lookup, **values)
    except IntegrityError:
        return ReviewItem.objects.get(**lookup)
    ctx.record(
        "review.opened",
        f"{summary.get('name')!r} waits for a person: {reason}.",
        data={"review_item": str(item.uuid), "kind": kind, "candidates": values["candidates"][:3]},
    )
    return item


def possible_duplicate(
    ctx,
    *,
    record_id: str,
    name: str,
    emails=(),
    external_id: str | None = None,
    record_type: str = "organization",
    source_type: str = "client",
    candidates=None,
    summary: dict | None = None,
) -> ReviewItem | None:
    """The reverse check: a new target record that may be a customer the source already has.

    `candidates` are the source records to compare with, as `TargetRecord`s or `(id, name, emails,
    external_id)` tuples; without them, the source's mirror (`RemoteRecord` of `ctx.source`, `source_type`)
    is used. Source records already linked, and a pairing a person dismissed before, are left out. Opens
    (or refreshes) a "possible_duplicate" item when a candidate reaches the `review` score, and returns it;
    returns None when nothing looks alike. Nothing waits on it: the flow goes on.
    """
    integration, record_id = ctx.integration, str(record_id)
    if candidates is None:
        index = index_for(integration, source_type, connection=ctx.source)
        decision = index.match(name, emails=emails, use_email=bool(emails))
    else:
        index = MatchIndex(candidates, thresholds=thresholds_for(integration))
        decision = index.match(name, emails=emails, use_email=bool(emails))
    dismissed = {
        candidate["record_id"]
        for item in ReviewItem.objects.filter(
            integration=integration,
            kind=ReviewItem.Kind.POSSIBLE_DUPLICATE,
            source_type=record_type,
            source_id=record_id,
            status=ReviewItem.Status.DISMISSED,
        )
        for candidate in item.candidates
    }
    alike = tuple(
        candidate
        for candidate in decision.candidates
        if candidate.score >= index.thresholds.review and candidate.record_id not in dismissed
    )
    if not alike:
        return None
    linked = dict(
        RecordLink.objects.filter(
            integration=integration,
            source_type=source_type,
            target_type=record_type,
            source_id__in=[candidate.record_id for candidate in alike],
        ).values_list("source_id", "target_id")
    )
    notes = {
        source_id: f"already linked to {record_type} {target_id}"
        for source_id, target_id in linked.items()
        if target_id != record_id
    }
    return open_item(
        ctx,
        kind=ReviewItem.Kind.POSSIBLE_DUPLICATE,
        source_type=record_type,
        source_id=record_id,
        summary=_summary(name, tuple(emails or ()), external_id, summary),
        target_type=record_type,
        decision=MatchDecision(decision.kind, None, alike, decision.reason),
        reason=f"looks like {len(alike)} existing {source_type}(s)",
        candidate_type=source_type,
        notes=notes,
    )


# Decisions ---------------------------------------------------------------------------------------------


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
    row = _mirror(connection, record_type).filter(remote_id=record_id, deleted=False).first()
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
        defaults={"tenant": item.tenant, "target_id": target_id, "method": RecordLink.Method.MANUAL, "fingerprint": ""},
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


def waiting_for(integration, source_type: str, source_id: str):
    """The jobs waiting for a decision about this record: its own, and those of records that depend on it
    (a flow marks them `result.waiting_for = "<type>:<id>"`, e.g. a client's invoices)."""
    return SyncJob.objects.filter(integration=integration, status=SyncJob.Status.WAITING_REVIEW).filter(
        Q(source_type=source_type, source_id=str(source_id)) | Q(result__waiting_for=f"{source_type}:{source_id}")
    )


def release_jobs(integration, source_type: str, source_id: str) -> list[int]:
    """Jobs waiting for a decision about this record run now (after the decision commits)."""
    from syncs.engine import enqueue

    waiting = list(waiting_for(integration, source_type, source_id).values_list("pk", flat=True))
    SyncJob.objects.filter(pk__in=waiting, status=SyncJob.Status.WAITING_REVIEW).update(
        status=SyncJob.Status.PENDING, next_attempt_at=timezone.now(), last_error_type="", last_error_message=""
    )
    for pk in waiting:
        transaction.on_commit(lambda pk=pk: enqueue(pk))
    return waiting


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


def rematch(integration, source_type: str, source_id: str) -> SyncJob | None:
    """A job that brings the record over again (None when the integration is off or one is already queued)."""
    from syncs.engine import enqueue

    queued = SyncJob.objects.filter(
        integration=integration,
        source_type=source_type,
        source_id=source_id,
        status=SyncJob.Status.PENDING,
        started_at=None,
        dry_run=False,
    ).exists()
    if not integration.enabled or queued:
        return None
    job = SyncJob.objects.create(
        tenant=integration.tenant,
        integration=integration,
        trigger=SyncJob.Trigger.MANUAL,
        source_type=source_type,
        source_id=source_id,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: enqueue(job.pk))
    return job
