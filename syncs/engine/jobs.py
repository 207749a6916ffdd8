"""Jobs come into being here, and only here: for an event, for a record a job waits for, for a replay, for a
rematch. Each is a row first (the database is the source of truth) and a queue message after commit (a wake-up).
"""

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connections.models import Integration
from syncs.engine.claims import hold
from syncs.models import InboundEvent, SyncJob

logger = logging.getLogger(__name__)

ACTIVE = (SyncJob.Status.PENDING, SyncJob.Status.RUNNING, SyncJob.Status.WAITING_REVIEW)


def new_job(integration, source_type: str, source_id, trigger: str, *, wake: bool = True, **fields) -> SyncJob:
    """A job for one source record, due now unless `fields` say otherwise, enqueued once the row commits."""
    job = SyncJob.objects.create(
        tenant=integration.tenant,
        integration=integration,
        trigger=trigger,
        source_type=source_type,
        source_id=str(source_id),
        **{"next_attempt_at": timezone.now(), **fields},
    )
    if wake and job.status == SyncJob.Status.PENDING:
        transaction.on_commit(lambda pk=job.pk: enqueue(pk))
    return job


def queued(integration, source_type: str, source_id) -> bool:
    """A job of this record that has not started: it will fetch the latest state anyway."""
    return SyncJob.objects.filter(
        integration=integration,
        source_type=source_type,
        source_id=str(source_id),
        status=SyncJob.Status.PENDING,
        started_at=None,
        dry_run=False,
    ).exists()


TRIGGER_FOR_SOURCE = {
    InboundEvent.Source.WEBHOOK: SyncJob.Trigger.WEBHOOK,
    InboundEvent.Source.POLL: SyncJob.Trigger.POLL,
    InboundEvent.Source.BACKFILL: SyncJob.Trigger.BACKFILL,
}


def jobs_for_event(event: InboundEvent, *, wake: bool = True, only=None) -> list[SyncJob]:
    """A job per enabled integration whose flow listens to this event, unless one is already waiting.

    `only`: the integration whose poll or backfill found the change; each integration on a source walks it
    for itself, so a second flow enabled on the same connection still sees every record.

    Flows listen on their source (`listens_to`) and, for the way back, on their target (`target_listens_to`:
    a new target record checked against the source's customers, a new ticket that gets a billing note).
    A pending job that has not started will fetch the record's latest state anyway, so a second one would
    only repeat it; a running job may have fetched before this change, so then a new job is queued.
    """
    created = []
    integrations = Integration.objects.filter(tenant=event.tenant, enabled=True).filter(
        Q(source=event.connection) | Q(target=event.connection)
    )
    if only is not None:
        integrations = integrations.filter(pk=only.pk)
    for integration in integrations:
        flow = integration.flow
        if flow is None:
            continue
        on_source = integration.source_id == event.connection_id
        listens = flow.listens_to if on_source else getattr(flow, "target_listens_to", frozenset())
        if event.event_name not in listens:
            continue
        ref = flow.source_ref(event)
        if queued(integration, ref.type, ref.id):
            continue
        trigger = TRIGGER_FOR_SOURCE.get(event.source, SyncJob.Trigger.WEBHOOK)
        created.append(new_job(integration, ref.type, ref.id, trigger, event=event, wake=wake))
    return created


def queue_task(func: str, *args, task_name: str | None = None) -> bool:
    """Queue a django-q2 task; False (logged) when it could not be, and the sweeper finds the work later.

    With the ORM broker the queue is a table of this database, often written inside the caller's transaction
    (an event and its task commit together). A failed insert there would leave that transaction marked for
    rollback, and Django rolls it back silently at its end: the event that was about to be acknowledged would
    be gone. So the insert runs in a savepoint of its own: a failure undoes only the task, never the caller's rows."""
    from django_q.tasks import async_task

    kwargs = {"task_name": task_name} if task_name else {}
    try:
        if settings.Q_BROKER == "orm":
            with transaction.atomic():
                async_task(func, *args, **kwargs)
        else:
            async_task(func, *args, **kwargs)
    except Exception:
        logger.exception("could not queue %s%s; the sweeper will find the work", func, args)
        return False
    return True


def enqueue(job_pk: int) -> None:
    queue_task("syncs.tasks.run_job", job_pk, task_name=f"job-{job_pk}")


def wait_for(ctx, source_type: str, source_id, reason: str) -> None:
    """The running job waits for a decision about another record (an invoice for its client's organization).

    The other record's own job is what a person's decision releases, so one is made, waiting, unless the record
    has an active job already; its link then releases this one (`release_dependents`).
    """
    hold(ctx.job)
    SyncJob.objects.filter(pk=ctx.job.pk).update(result={"waiting_for": f"{source_type}:{source_id}"})
    active = SyncJob.objects.filter(
        integration=ctx.integration, source_type=source_type, source_id=str(source_id), status__in=ACTIVE
    )
    if not active.exists():
        new_job(
            ctx.integration,
            source_type,
            source_id,
            SyncJob.Trigger.MANUAL,
            event=ctx.job.event,
            status=SyncJob.Status.WAITING_REVIEW,
            next_attempt_at=None,
            last_error_type="NeedsReview",
            last_error_message=reason,
        )


def waiting_for(integration, source_type: str, source_id):
    """The jobs waiting for a decision about this record: its own, and those of records that depend on it
    (marked `result.waiting_for = "<type>:<id>"` by `wait_for`, e.g. a client's invoices)."""
    return SyncJob.objects.filter(integration=integration, status=SyncJob.Status.WAITING_REVIEW).filter(
        Q(source_type=source_type, source_id=str(source_id)) | Q(result__waiting_for=f"{source_type}:{source_id}")
    )


def release(waiting) -> list[int]:
    """These waiting jobs run now (after the decision commits)."""
    pks = list(waiting.values_list("pk", flat=True))
    SyncJob.objects.filter(pk__in=pks, status=SyncJob.Status.WAITING_REVIEW).update(
        status=SyncJob.Status.PENDING, next_attempt_at=timezone.now(), last_error_type="", last_error_message=""
    )
    for pk in pks:
        transaction.on_commit(lambda pk=pk: enqueue(pk))
    return pks


def release_dependents(integration, source_type: str, source_id) -> list[int]:
    """A record now linked to its counterpart lets the jobs that waited for it run (a client linked to its
    organization releases its invoices' jobs); `Context.save_link` and the engine's write call it."""
    return release(
        SyncJob.objects.filter(
            integration=integration,
            status=SyncJob.Status.WAITING_REVIEW,
            result__waiting_for=f"{source_type}:{source_id}",
        )
    )


def rematch(integration, source_type: str, source_id: str) -> SyncJob | None:
    """A job that brings the record over again (None when the integration is off or one is already queued)."""
    if not integration.enabled or queued(integration, source_type, source_id):
        return None
    return new_job(integration, source_type, source_id, SyncJob.Trigger.MANUAL)
