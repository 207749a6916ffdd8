"""Polling and backfill: find changes no webhook announced, page by page, without holding them in memory.

Each changed record becomes an InboundEvent (dedupe key: the integration, record type, id and its `updated`
stamp, so an unchanged record is never queued twice for one integration, and a second integration on the
same source still gets every record) and its job, one page per transaction. The watermark moves to the
poll's start only after the last page, so a crash mid-way re-reads pages rather than skipping any.
Sources that filter by day make consecutive windows overlap; dedupe absorbs that.
A backfill is the same walk without a watermark, with its progress kept on the integration.
"""

import json

from django.db import IntegrityError, transaction
from django.utils import timezone

from connections.models import Integration
from syncs import engine
from syncs.models import InboundEvent


def due_integrations() -> list[int]:
    from django_scopes import scopes_disabled

    now = timezone.now()
    with scopes_disabled():
        candidates = Integration.objects.filter(enabled=True, poll_interval__isnull=False).values_list(
            "pk", "poll_interval", "last_polled_at"
        )
        return [pk for pk, interval, last in candidates if last is None or last + interval <= now]


def run(integration: Integration, *, backfill: bool = False) -> int:
    """Walk the source's changes (all records for a backfill); returns how many records were seen."""
    flow = integration.flow
    started = timezone.now()
    since = None if backfill else integration.poll_watermark
    source = InboundEvent.Source.BACKFILL if backfill else InboundEvent.Source.POLL
    ctx = engine.Context(None, integration)
    seen = 0
    if backfill:
        save_progress(integration, status="running", done=0, started_at=started.isoformat())
    # A flow that writes in bulk is woken once its batch is full (or at the end), not once a page.
    batch, waiting = getattr(flow, "batch_size", 0) or 1, 0
    for record_type in flow.polled_types:
        page, more = 1, True
        while more:
            records, more = flow.changes(ctx, record_type, since, page)
            with transaction.atomic():
                for record in records:
                    store_change(integration, source, record_type, record)
                seen += len(records)
                waiting += len(records)
                if backfill:
                    save_progress(integration, status="running", done=seen, page=page, record_type=record_type)
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
        integration.save(update_fields=fields)
    ctx.record(
        "poll.finished" if not backfill else "backfill.finished",
        f"{'Backfill' if backfill else 'Polling'} read {seen} changed record(s).",
        data={"records": seen},
    )
    return seen


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
