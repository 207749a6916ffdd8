"""The sync engine: durable jobs, one at a time per source record, retried politely, written once.

The database is the source of truth and the queue only a wake-up call:
- `jobs_for_event()` turns a stored InboundEvent into one SyncJob per listening integration;
- `run()` claims a job with a conditional UPDATE (a lease with an expiry; never while another job of the same
  source record holds one), runs the flow's steps, and settles the job; every step is an AuditEvent;
- `sweep()` (scheduled) enqueues jobs that are due, reclaims jobs whose lease expired (a killed worker),
  processes events whose enqueue was lost, and resumes parked jobs once their connection works again.

Failures: `RateLimited` pauses the whole connection until its wait has passed; `Retryable` backs off
(`RETRY_SCHEDULE`, with jitter, never sooner than Retry-After) up to `SYNC_MAX_ATTEMPTS`; `AuthExpired` parks
the job until the connection is reconnected; `Permanent` fails at once, keeping the provider's message;
`NeedsReview` waits for a person. A write whose payload fingerprint equals the link's is skipped, so replays
and duplicate events never write twice.
"""

import logging
import os
import random
import socket
import zlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

import audit
from connections.models import Connection, Integration
from connections.providers import get_provider
from connections.providers.errors import AuthExpired, Permanent, ProviderError, RateLimited, Retryable
from syncs.flows import FLOWS
from syncs.flows.base import Mapped, NeedsReview, Skip, SourceRef
from syncs.models import InboundEvent, RecordLink, SyncJob

logger = logging.getLogger(__name__)

# Seconds before attempt n+1 (Svix-like: seconds, then minutes, then hours; about a day in all).
RETRY_SCHEDULE = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 36000)
OWNER = f"{socket.gethostname()}:{os.getpid()}"


def lease_seconds() -> int:
    return settings.SYNC_LEASE_SECONDS


def backoff(attempt: int, retry_after: float | None = None) -> float:
    base = RETRY_SCHEDULE[min(max(attempt, 1) - 1, len(RETRY_SCHEDULE) - 1)]
    delay = base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
    return max(delay, retry_after or 0)


# Creating and enqueueing jobs ---------------------------------------------------------------------------


TRIGGER_FOR_SOURCE = {
    InboundEvent.Source.WEBHOOK: SyncJob.Trigger.WEBHOOK,
    InboundEvent.Source.POLL: SyncJob.Trigger.POLL,
    InboundEvent.Source.BACKFILL: SyncJob.Trigger.BACKFILL,
}


def jobs_for_event(event: InboundEvent, *, wake: bool = True) -> list[SyncJob]:
    """A job per enabled integration whose flow listens to this event, unless one is already waiting.

    Flows listen on their source (`listens_to`) and, for the way back, on their target (`target_listens_to`:
    a new Zendesk organization checked against FreshBooks clients, a new ticket that gets a billing note).
    A pending job that has not started will fetch the record's latest state anyway, so a second one would
    only repeat it; a running job may have fetched before this change, so then a new job is queued.
    """
    created = []
    integrations = Integration.objects.filter(tenant=event.tenant, enabled=True).filter(
        Q(source=event.connection) | Q(target=event.connection)
    )
    for integration in integrations:
        flow = FLOWS.get(integration.kind)
        if flow is None:
            continue
        on_source = integration.source_id == event.connection_id
        listens = flow.listens_to if on_source else getattr(flow, "target_listens_to", frozenset())
        if event.event_name not in listens:
            continue
        ref = flow.source_ref(event)
        waiting = SyncJob.objects.filter(
            integration=integration,
            source_type=ref.type,
            source_id=ref.id,
            status=SyncJob.Status.PENDING,
            started_at=None,
            dry_run=False,
        ).exists()
        if waiting:
            continue
        job = SyncJob.objects.create(
            tenant=event.tenant,
            integration=integration,
            event=event,
            trigger=TRIGGER_FOR_SOURCE.get(event.source, SyncJob.Trigger.WEBHOOK),
            source_type=ref.type,
            source_id=ref.id,
            next_attempt_at=timezone.now(),
        )
        if wake:
            transaction.on_commit(lambda pk=job.pk: enqueue(pk))
        created.append(job)
    return created


def enqueue(job_pk: int) -> None:
    from django_q.tasks import async_task

    try:
        async_task("syncs.tasks.run_job", job_pk, task_name=f"job-{job_pk}")
    except Exception:
        logger.exception("could not enqueue job %s; the sweeper will", job_pk)


def run_due(integration_pk: int, limit: int = 500) -> int:
    """Run the integration's due jobs one after another: one wake-up for a page of polled records, not one each.

    Several workers may drain the same integration; each job is still claimed on its own, so none runs twice.
    """
    ran = 0
    due = SyncJob.objects.filter(
        integration_id=integration_pk, status=SyncJob.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at", "pk")
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        if run(pk) is not None:
            ran += 1
    return ran


# Claiming ----------------------------------------------------------------------------------------------


def record_lock_key(job: SyncJob) -> int:
    return zlib.crc32(f"{job.integration_id}|{job.source_type}|{job.source_id}".encode()) - 2**31


def claim(job_pk: int, owner: str = OWNER) -> SyncJob | None:
    """Take the job if it is due and no other job of the same source record holds a live lease."""
    now = timezone.now()
    job = SyncJob.objects.filter(pk=job_pk).first()
    if job is None:
        return None
    with transaction.atomic():
        if db_connection.vendor == "postgresql":
            # Serialise claims per source record so two different jobs of it can never both pass the check.
            with db_connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [record_lock_key(job)])
        busy = SyncJob.objects.filter(
            integration_id=OuterRef("integration_id"),
            source_type=OuterRef("source_type"),
            source_id=OuterRef("source_id"),
            status=SyncJob.Status.RUNNING,
            lease_expires_at__gt=now,
        ).exclude(pk=OuterRef("pk"))
        claimable = Q(status=SyncJob.Status.PENDING, next_attempt_at__lte=now) | Q(
            status=SyncJob.Status.RUNNING, lease_expires_at__lte=now
        )
        taken = (
            SyncJob.objects.filter(claimable, pk=job_pk)
            .exclude(Exists(busy))
            .update(
                status=SyncJob.Status.RUNNING,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds()),
                attempts=F("attempts") + 1,
                started_at=now,
            )
        )
    if not taken:
        return None
    return SyncJob.objects.select_related("integration__source", "integration__target", "event").get(pk=job_pk)


# Running -----------------------------------------------------------------------------------------------


@dataclass
class Context:
    """What a flow's steps get: the job, its integration and connections, and an audit helper."""

    job: SyncJob | None  # None while polling
    integration: Integration

    @property
    def source(self) -> Connection:
        return self.integration.source

    @property
    def target(self) -> Connection:
        return self.integration.target

    @property
    def options(self) -> dict:
        return self.integration.options

    def record(self, kind: str, message: str, level: str = "info", data: dict | None = None, target_ref=None):
        job = self.job
        audit.record(
            kind,
            tenant=self.integration.tenant,
            integration=self.integration,
            level=level,
            message=message,
            source_ref=f"{job.source_type}:{job.source_id}" if job else None,
            target_ref=target_ref,
            data={"job": str(job.uuid), **(data or {})} if job else data,
            job=job,
            pinned=bool(job and job.status == SyncJob.Status.FAILED and not job.dry_run),
        )


def paused_until(connection: Connection) -> float | None:
    until = cache.get(f"paused:{connection.uuid}")
    return until if until and until > timezone.now().timestamp() else None


def pause(connection: Connection, seconds: float) -> None:
    until = timezone.now().timestamp() + seconds
    cache.set(f"paused:{connection.uuid}", until, timeout=int(seconds) + 5)


def take_budget(connection: Connection) -> float:
    """Proactive rate limit (fixed window in the shared cache): 0 to go on, else seconds to wait."""
    limits = get_provider(connection.provider).rate_limits
    if not limits:
        return 0.0
    limit = limits[0]
    budget = max(1, int(limit.requests * settings.SYNC_RATE_BUDGET_FRACTION))
    window = int(timezone.now().timestamp() // limit.per_seconds)
    key = f"budget:{connection.uuid}:{window}"
    cache.add(key, 0, timeout=limit.per_seconds * 2)
    try:
        used = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=limit.per_seconds * 2)
        used = 1
    if used <= budget:
        return 0.0
    return (window + 1) * limit.per_seconds - timezone.now().timestamp()


def settle(job: SyncJob, status: str, **fields) -> bool:
    """Write the outcome only if we still hold the lease (a reclaimed job belongs to its new runner)."""
    now = timezone.now()
    values = {"status": status, "lease_owner": "", "lease_expires_at": None, **fields}
    if status in (SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED):
        values["finished_at"] = now
    done = SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.RUNNING, lease_owner=job.lease_owner).update(
        **values
    )
    for key, value in values.items():
        setattr(job, key, value)
    if done and not job.dry_run and status in (SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED):
        keep_failures(job)
    return bool(done)


def keep_failures(job: SyncJob) -> None:
    """Pin a failed job's audit events against pruning; unpin earlier failures of its record once it succeeds.

    A failure is resolved when a later job of the same source record succeeds (a replay, or a new event).
    """
    from audit.models import AuditEvent

    if job.status == SyncJob.Status.FAILED:
        AuditEvent.objects.filter(job=job).update(pinned=True)
        return
    resolved = SyncJob.objects.filter(
        integration_id=job.integration_id,
        source_type=job.source_type,
        source_id=job.source_id,
        status__in=[SyncJob.Status.FAILED, SyncJob.Status.PARKED],
        pk__lt=job.pk,
    )
    AuditEvent.objects.filter(job__in=resolved, pinned=True).update(pinned=False)


def retry_later(job: SyncJob, ctx: Context, seconds: float, reason: str, *, count_attempt: bool = True) -> str:
    fields = {"next_attempt_at": timezone.now() + timedelta(seconds=seconds)}
    if not count_attempt:
        fields["attempts"] = job.attempts - 1
    settle(job, SyncJob.Status.PENDING, **fields)
    ctx.record(
        "job.retry_scheduled",
        f"Retrying in {seconds:.0f} s: {reason}",
        "warning",
        {"wait_seconds": round(seconds, 1), "reason": reason},
    )
    return SyncJob.Status.PENDING


def run(job_pk: int) -> str | None:
    """Run one job if it can be claimed; returns its new status (None when not claimed)."""
    job = claim(job_pk)
    if job is None:
        return None
    # Every audit event recorded meanwhile (the flow's API calls too) lands on this job's timeline.
    with audit.for_job(job):
        return run_claimed(job)


def run_claimed(job: SyncJob) -> str:
    integration = job.integration
    ctx = Context(job, integration)
    flow = FLOWS.get(integration.kind)
    if flow is None:
        settle(
            job,
            SyncJob.Status.FAILED,
            last_error_type="UnknownFlow",
            last_error_message=f"No flow {integration.kind!r} is installed.",
        )
        return job.status
    if not integration.enabled:
        settle(
            job,
            SyncJob.Status.PARKED,
            last_error_type="IntegrationOff",
            last_error_message="The integration is switched off; the job runs when it is enabled again.",
        )
        return job.status
    for connection in (integration.source, integration.target):
        if connection.status == Connection.Status.NEEDS_REAUTH:
            return park(job, ctx, connection)
        wait = paused_until(connection)
        if wait:
            return retry_later(
                job, ctx, wait - timezone.now().timestamp(), f"{connection.label} is rate limited", count_attempt=False
            )
    wait = take_budget(integration.target)
    if wait:
        return retry_later(job, ctx, wait, f"pacing calls to {integration.target.label}", count_attempt=False)
    try:
        return execute(job, ctx, flow)
    except NeedsReview as exc:
        settle(job, SyncJob.Status.WAITING_REVIEW, last_error_type="NeedsReview", last_error_message=str(exc))
        ctx.record("job.waiting_review", str(exc), "warning")
        return job.status
    except RateLimited as exc:
        connection = integration.target if exc.provider == integration.target.provider else integration.source
        wait = backoff(job.attempts, exc.retry_after)
        pause(connection, exc.retry_after if exc.retry_after is not None else wait)
        return fail_or_retry(job, ctx, exc, wait)
    except Retryable as exc:
        return fail_or_retry(job, ctx, exc, backoff(job.attempts))
    except AuthExpired as exc:
        connection = integration.target if exc.provider == integration.target.provider else integration.source
        connection.refresh_from_db()
        if connection.status != Connection.Status.NEEDS_REAUTH:
            return fail(job, ctx, exc)
        return park(job, ctx, connection)
    except (Permanent, ProviderError) as exc:
        return fail(job, ctx, exc)
    except Exception as exc:
        logger.exception("job %s failed unexpectedly", job.uuid)
        return fail(job, ctx, exc)


def execute(job: SyncJob, ctx: Context, flow) -> str:
    ref = SourceRef(job.source_type, job.source_id)
    record = flow.fetch(ctx, ref)
    if record is None:
        settle(job, SyncJob.Status.SUCCEEDED, result={"outcome": "source record not found"})
        ctx.record("job.skipped", f"{ref.type} {ref.id} no longer exists at the source; nothing to write.")
        return job.status
    ctx.record("job.fetched", f"Fetched {ref.type} {ref.id}.", data={"record": record})
    try:
        mapped: Mapped = flow.map(ctx, record)
    except Skip as exc:
        settle(job, SyncJob.Status.SUCCEEDED, result={"outcome": "skipped", "reason": str(exc)})
        ctx.record("job.skipped", str(exc))
        return job.status
    ctx.record(
        "job.mapped",
        mapped.summary or f"Mapped to a {mapped.target_type}.",
        data={"input": record, "output": mapped.payload},
    )
    link = RecordLink.objects.filter(
        integration=job.integration, source_type=ref.type, source_id=ref.id, target_type=mapped.target_type
    ).first()
    if link and link.fingerprint == mapped.fingerprint and not job.dry_run:
        settle(
            job,
            SyncJob.Status.SUCCEEDED,
            result={"outcome": "unchanged", "target": f"{link.target_type}:{link.target_id}"},
        )
        ctx.record(
            "job.unchanged",
            f"{mapped.target_type} {link.target_id} already holds this; nothing written.",
            target_ref=f"{link.target_type}:{link.target_id}",
        )
        return job.status
    if link:
        target_id, method = link.target_id, link.method
    else:
        target_id, method = flow.find_target(ctx, record, mapped)
        ctx.record(
            "job.matched",
            f"Target for {ref.type} {ref.id}: {target_id or 'none, will create'} ({method}).",
            data={"target_id": target_id, "method": method},
        )
    if job.dry_run:
        would = {
            "outcome": "dry run",
            "action": "update" if target_id else "create",
            "target_type": mapped.target_type,
            "target_id": target_id,
            "payload": mapped.payload,
        }
        settle(job, SyncJob.Status.SUCCEEDED, result=would)
        ctx.record(
            "job.dry_run", f"Would {would['action']} {mapped.target_type} {target_id or ''}".strip() + ".", data=would
        )
        return job.status
    written_id = str(flow.write(ctx, mapped, target_id))
    RecordLink.objects.update_or_create(
        integration=job.integration,
        source_type=ref.type,
        source_id=ref.id,
        target_type=mapped.target_type,
        defaults={
            "tenant": job.tenant,
            "target_id": written_id,
            "fingerprint": mapped.fingerprint,
            "method": method if target_id else RecordLink.Method.CREATED,
        },
    )
    action = "updated" if target_id else "created"
    settle(job, SyncJob.Status.SUCCEEDED, result={"outcome": action, "target": f"{mapped.target_type}:{written_id}"})
    ctx.record(
        "job.written",
        f"{action.capitalize()} {mapped.target_type} {written_id}.",
        target_ref=f"{mapped.target_type}:{written_id}",
    )
    return job.status


def fail_or_retry(job: SyncJob, ctx: Context, exc: ProviderError, wait: float) -> str:
    if job.attempts >= settings.SYNC_MAX_ATTEMPTS:
        return fail(job, ctx, exc, note=f" (gave up after {job.attempts} attempts)")
    job.last_error_type, job.last_error_message = exc.kind, exc.message
    SyncJob.objects.filter(pk=job.pk).update(last_error_type=exc.kind, last_error_message=exc.message)
    return retry_later(job, ctx, wait, f"{exc.kind}: {exc.message}")


def fail(job: SyncJob, ctx: Context, exc: Exception, note: str = "") -> str:
    kind = getattr(exc, "kind", type(exc).__name__)
    message = getattr(exc, "message", str(exc)) + note
    settle(job, SyncJob.Status.FAILED, last_error_type=kind, last_error_message=message)
    ctx.record("job.failed", f"Failed ({kind}): {message}", "error", {"error": kind})
    return job.status


def park(job: SyncJob, ctx: Context, connection: Connection) -> str:
    settle(
        job,
        SyncJob.Status.PARKED,
        last_error_type="NeedsReauth",
        last_error_message=f"{connection.label} needs to be reconnected.",
    )
    ctx.record("job.parked", f"Parked until {connection.label} is reconnected.", "warning")
    return job.status


# The sweeper -------------------------------------------------------------------------------------------


def sweep(limit: int = 500) -> dict:
    """Scheduled: nothing stays stuck because a message was lost or a worker died."""
    from django_scopes import scopes_disabled

    now = timezone.now()
    counts = {"due": 0, "reclaimed": 0, "events": 0, "resumed": 0}
    with scopes_disabled():
        resumable = list(
            SyncJob.objects.filter(status=SyncJob.Status.PARKED, integration__enabled=True)
            .exclude(
                Q(integration__source__status=Connection.Status.NEEDS_REAUTH)
                | Q(integration__target__status=Connection.Status.NEEDS_REAUTH)
            )
            .values_list("pk", flat=True)[:limit]
        )
        counts["resumed"] = SyncJob.objects.filter(pk__in=resumable, status=SyncJob.Status.PARKED).update(
            status=SyncJob.Status.PENDING, next_attempt_at=now
        )
        expired = list(
            SyncJob.objects.filter(status=SyncJob.Status.RUNNING, lease_expires_at__lte=now).values_list(
                "pk", flat=True
            )[:limit]
        )
        counts["reclaimed"] = len(expired)
        # A job that never started has its own wake-up message on its way: give it a grace period. A job put
        # back to wait (a retry, a rate-limit pause, pacing) has none: it is due the moment its wait ends.
        due = list(
            SyncJob.objects.filter(status=SyncJob.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(started_at__isnull=False) | Q(next_attempt_at__lte=now - timedelta(seconds=10)))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        counts["due"] = len(due)
        stale_events = list(
            InboundEvent.objects.filter(
                status=InboundEvent.Status.RECEIVED, received_at__lte=now - timedelta(seconds=30)
            ).values_list("pk", flat=True)[:limit]
        )
        counts["events"] = len(stale_events)
    from django_q.tasks import async_task

    for pk in stale_events:
        async_task("syncs.tasks.process_event", pk)
    for pk in [*resumable, *expired, *due]:
        enqueue(pk)
    return counts


# Replay ------------------------------------------------------------------------------------------------


def replay(job: SyncJob, actor=None, *, dry_run: bool = False) -> SyncJob:
    """A new job for the same source record, pointing at the original; a dry run writes nothing."""
    new = SyncJob.objects.create(
        tenant=job.tenant,
        integration=job.integration,
        event=job.event,
        replay_of=job,
        trigger=SyncJob.Trigger.REPLAY,
        source_type=job.source_type,
        source_id=job.source_id,
        dry_run=dry_run,
        next_attempt_at=timezone.now(),
    )
    audit.record(
        "job.replayed",
        tenant=job.tenant,
        integration=job.integration,
        actor=actor,
        message=f"{'Dry run of' if dry_run else 'Replay of'} the job for {job.source_type} {job.source_id}.",
        source_ref=f"{job.source_type}:{job.source_id}",
        data={"job": str(new.uuid), "replay_of": str(job.uuid), "dry_run": dry_run},
    )
    transaction.on_commit(lambda: enqueue(new.pk))
    return new


def replay_matching(queryset, actor=None) -> int:
    """Replay every failed or parked job of a filtered list (the failures page's "Replay all")."""
    count = 0
    for job in queryset.filter(status__in=[SyncJob.Status.FAILED, SyncJob.Status.PARKED]).iterator():
        replay(job, actor)
        count += 1
    return count
