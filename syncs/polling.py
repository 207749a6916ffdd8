"""Polling and backfill: find changes no webhook announced, page by page, without holding them in memory.

Each changed record becomes an InboundEvent (dedupe key: the integration, record type, id and its `updated`
stamp, so an unchanged record is never queued twice for one integration, and a second integration on the
same source still gets every record) and its job, one page per transaction. The watermark moves to the
poll's start only after the last page, so a crash mid-way re-reads pages rather than skipping any.
Sources that filter by day make consecutive windows overlap; dedupe absorbs that.
A backfill is the same walk without a watermark, with its progress kept on the integration.

One walk at a time per integration: a poll is claimed (`poll_claim`, a conditional UPDATE, as jobs are) when
it is queued, and a new one is queued only once no live claim is held, so a slow poll is not started again
over itself every minute. The claim lapses after POLL_CLAIM_SECONDS, above the task timeout, so a killed
worker stops polling for no longer than that. A backfill takes the claim over from a poll (it reads
everything the poll would), never from another backfill. Only the claim's holder moves the watermark.
"""

import json
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_scopes import scopes_disabled

from connections.models import Integration
from syncs import engine
from syncs.models import InboundEvent


def claim_window() -> timedelta:
    return timedelta(seconds=settings.POLL_CLAIM_SECONDS)


def unclaimed(now) -> Q:
    """No live claim: none held, or one whose worker died (it lapsed)."""
    return Q(poll_claim="") | Q(poll_claim_expires_at__isnull=True) | Q(poll_claim_expires_at__lte=now)


def due_integrations() -> list[int]:
    """Enabled integrations whose polling interval has passed and on which no poll or backfill runs."""
    return [pk for pk, _last in _due(timezone.now())]


def _due(now) -> list[tuple[int, object]]:
    with scopes_disabled():
        candidates = (
            Integration.objects.filter(unclaimed(now), enabled=True, poll_interval__isnull=False)
            .order_by("pk")
            .values_list("pk", "poll_interval", "last_polled_at")
        )
        return [(pk, last) for pk, interval, last in candidates if last is None or last + interval <= now]


def claim_due() -> list[tuple[int, str]]:
    """Claim every due poll no one holds; (integration pk, claim) of each, to be queued with its claim.

    The claim is taken only if the poll is still due as read (`last_polled_at` unchanged) and still unclaimed,
    so two schedulers, or a poll that just finished, never make a second one."""
    now = timezone.now()
    claimed = []
    for pk, last in _due(now):
        claim = f"poll:{secrets.token_hex(8)}"
        with scopes_disabled():
            taken = Integration.objects.filter(unclaimed(now), pk=pk, enabled=True, last_polled_at=last).update(
                poll_claim=claim, poll_claim_expires_at=now + claim_window()
            )
        if taken:
            claimed.append((pk, claim))
    return claimed


def hold(integration: Integration, claim: str | None, *, backfill: bool = False) -> str | None:
    """The claim this walk runs under, or None when another one runs (or took over a queued poll's claim).

    A poll queued by `claim_due` brings its claim and keeps it only if it is still its own; a backfill takes
    the claim unless another backfill holds a live one; any other walk takes it only if none is held."""
    now = timezone.now()
    expires = now + claim_window()
    rows = Integration.objects.filter(pk=integration.pk)
    if claim is not None:
        return claim if rows.filter(poll_claim=claim).update(poll_claim_expires_at=expires) else None
    claim = f"{'backfill' if backfill else 'poll'}:{secrets.token_hex(8)}"
    free = (unclaimed(now) | Q(poll_claim__startswith="poll:")) if backfill else unclaimed(now)
    return claim if rows.filter(free).update(poll_claim=claim, poll_claim_expires_at=expires) else None


def let_go(integration_pk: int, claim: str) -> None:
    """Free the claim if it is still ours (a walk that ended early or failed; `run` frees it when done)."""
    Integration.objects.filter(pk=integration_pk, poll_claim=claim).update(poll_claim="", poll_claim_expires_at=None)


class Continues(Exception):
    """The walk ran out of its task's time and queued its next stretch, which holds the claim now."""

    def __init__(self, seen: int):
        super().__init__(seen)
        self.seen = seen


def run(
    integration: Integration, *, backfill: bool = False, claim: str | None = None, resume: dict | None = None
) -> int:
    """Walk the source's changes (all records for a backfill); returns how many records were seen.

    `claim`: the claim it runs under (see `hold`); the watermark then moves only while it is still ours.
    A walk is a chain of short tasks: past SYNC_TASK_BUDGET_SECONDS it queues its continuation from the next
    page (`resume`) and raises `Continues`, so no task outlives django-q2's timeout. A backfill also keeps
    that checkpoint on the integration after every page: one whose worker was killed resumes from there."""
    flow = integration.flow
    resume = resume or {}
    started = parse_datetime(resume["started"]) if resume.get("started") else timezone.now()
    since = None if backfill else integration.poll_watermark
    source = InboundEvent.Source.BACKFILL if backfill else InboundEvent.Source.POLL
    ctx = engine.Context(None, integration)
    seen = int(resume.get("seen") or 0)
    if backfill and not resume:
        save_progress(integration, status="running", done=0, started_at=started.isoformat())
    # A flow that writes in bulk is woken once its batch is full (or at the end), not once a page.
    batch, waiting = getattr(flow, "batch_size", 0) or 1, 0
    types = list(flow.polled_types)
    first_type = resume.get("record_type") if resume.get("record_type") in types else types[0]
    walked = [] if resume.get("page") == 0 else types[types.index(first_type) :]  # page 0: every page was read
    clock, pages_here = engine.TaskClock(), 0
    for record_type in walked:
        page, more = (int(resume.get("page") or 1) if record_type == first_type else 1), True
        while more:
            if pages_here and clock.spent():
                if waiting:
                    wake(integration.pk)
                checkpoint = {"record_type": record_type, "page": page, "seen": seen, "started": started.isoformat()}
                continue_walk(integration, backfill, claim, checkpoint)
                raise Continues(seen)
            records, more = flow.changes(ctx, record_type, since, page)
            pages_here += 1
            with transaction.atomic():
                for record in records:
                    store_change(integration, source, record_type, record)
                seen += len(records)
                waiting += len(records)
                if backfill:
                    following = (record_type, page + 1) if more else next_start(types, record_type)
                    save_progress(integration, status="running", done=seen, record_type=following[0], page=following[1])
                if waiting >= batch:
                    transaction.on_commit(lambda: wake(integration.pk))
                    waiting = 0
            page += 1
    if waiting:
        wake(integration.pk)
    with transaction.atomic():
        integration.poll_watermark = started
        integration.last_polled_at = timezone.now()
        fields = ["poll_watermark", "last_polled_at", "updated_at"]
        if backfill:
            integration.backfill = {
                **integration.backfill,
                "status": "done",
                "done": seen,
                "finished_at": timezone.now().isoformat(),
            }
            fields.append("backfill")
        if claim is None:
            integration.save(update_fields=fields)
        else:
            values = {name: getattr(integration, name) for name in fields if name != "updated_at"}
            Integration.objects.filter(pk=integration.pk, poll_claim=claim).update(
                **values, poll_claim="", poll_claim_expires_at=None, updated_at=timezone.now()
            )
    ctx.record(
        "poll.finished" if not backfill else "backfill.finished",
        f"{'Backfill' if backfill else 'Polling'} read {seen} changed record(s).",
        data={"records": seen},
    )
    return seen


def next_start(types: list[str], record_type: str) -> tuple[str, int]:
    """Where a walk goes after the last page of `record_type`: the next type's first page."""
    later = types[types.index(record_type) + 1 :]
    return (later[0], 1) if later else (record_type, 0)


def continue_walk(integration: Integration, backfill: bool, claim: str | None, checkpoint: dict) -> None:
    from syncs.engine.jobs import queue_task

    queue_task("syncs.tasks.poll_integration", integration.pk, backfill, claim, checkpoint)


def stalled_backfills() -> list[tuple[int, dict]]:
    """Backfills still "running" whose claim lapsed (their worker was killed): (integration pk, checkpoint)."""
    now = timezone.now()
    with scopes_disabled():
        rows = Integration.objects.filter(unclaimed(now), enabled=True, backfill__status="running").values_list(
            "pk", "backfill"
        )
        return [
            (
                pk,
                {
                    "record_type": b.get("record_type"),
                    "page": b.get("page") or 1,
                    "seen": b.get("done") or 0,
                    "started": b.get("started_at"),
                },
            )
            for pk, b in rows
            if b.get("record_type")
        ]


def store_change(integration: Integration, source: str, record_type: str, record: dict) -> None:
    record_id = str(record["id"])
    stamp = record.get("updated") or record.get("updated_at") or ""
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                tenant=integration.tenant,
                connection=integration.source,
                provider=integration.source.provider,
                source=source,
                event_name=f"{record_type}.update",
                object_type=record_type,
                object_id=record_id,
                dedupe_key=f"{source}:{integration.pk}:{record_type}:{record_id}:{stamp}",
                status=InboundEvent.Status.PROCESSED,
                processed_at=timezone.now(),
                body=json.dumps({"id": record_id, "updated": stamp}),
            )
    except IntegrityError:
        return
    engine.jobs_for_event(event, wake=False, only=integration)


def wake(integration_pk: int) -> None:
    """One wake-up per page: a worker drains the integration's due jobs (see engine.run_due)."""
    from django_q.tasks import async_task

    async_task("syncs.tasks.run_due", integration_pk)


def save_progress(integration: Integration, **progress) -> None:
    integration.backfill = {**integration.backfill, **progress}
    Integration.objects.filter(pk=integration.pk).update(backfill=integration.backfill)


def start_backfill(integration: Integration) -> None:
    """Enabling an integration processes the backlog first, in the background, and makes sure both
    connections have their webhooks registered (creating what is missing is idempotent)."""
    from django_q.tasks import async_task

    save_progress(integration, status="queued", done=0)

    def kick():
        for connection_pk in (integration.source_id, integration.target_id):
            async_task("syncs.tasks.register_webhooks", connection_pk)
        async_task("syncs.tasks.poll_integration", integration.pk, True)

    transaction.on_commit(kick)
