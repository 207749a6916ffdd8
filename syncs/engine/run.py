"""Running a job: claim it, check its connections, run the flow's steps, settle the outcome.

The steps, each an audit event on the job's timeline: fetch the full source record, map it into a plan of
one or more parts (a `Skip` ends here), then for each part in order: compare with the ledger (unchanged:
nothing written), find the target (link, else the flow's matching), write (or, in a dry run, say what would
be written), record it in the ledger, link. Failures are typed
(`connections.providers.errors`): `RateLimited` pauses the connection, `Retryable` backs off, `AuthExpired`
parks the job until the connection is reconnected, `Permanent` fails at once with the provider's message,
`NeedsReview` waits for a person. A run whose job was taken over by another worker (`LeaseLost`: its lease
expired and another claimed it) stops where it notices, records nothing more and leaves the job to its new
owner; the loss is logged and audited beside the job, not on its timeline.
"""

import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

import audit
from audit.redaction import mask_values, redact
from connections.models import Connection
from connections.providers.errors import AuthExpired, Permanent, ProviderError, RateLimited, Retryable
from syncs.engine.claims import LeaseLost, claim, running, settle
from syncs.engine.context import Context
from syncs.engine.pacing import backoff, pause, paused_until, take_budget
from syncs.flows.base import Mapped, NeedsReview, Plan, Skip, SourceRef
from syncs.models import SyncJob

logger = logging.getLogger(__name__)


def retry_later(
    job: SyncJob, ctx: Context, seconds: float, reason: str, *, count_attempt: bool = True, **fields
) -> str:
    fields["next_attempt_at"] = timezone.now() + timedelta(seconds=seconds)
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
    try:
        with running(job):
            return run_claimed(job)
    except LeaseLost:
        lease_lost(job)
        return None


def lease_lost(job: SyncJob) -> None:
    """Said in the log and the audit log, not on the job's timeline, which is its new owner's now."""
    logger.warning("job %s was taken over by another worker after its lease expired; stopped here", job.uuid)
    audit.record(
        "job.lease_lost",
        tenant=job.tenant,
        integration=job.integration,
        level="warning",
        message="A worker lost this job's lease to another worker mid-run and stopped without recording its outcome.",
        source_ref=f"{job.source_type}:{job.source_id}",
        data={"job": str(job.uuid)},
    )


def run_claimed(job: SyncJob) -> str:
    integration = job.integration
    ctx = Context(job, integration)
    blocked = preflight(job, ctx)
    if blocked:
        return blocked
    try:
        return execute(job, ctx, integration.flow)
    except LeaseLost:
        raise
    except Exception as exc:
        return settle_failure(job, ctx, exc)


def preflight(job: SyncJob, ctx: Context) -> str | None:
    """The job's new status when it cannot run now (no flow, switched off, a connection to reconnect or
    paused, the target's budget spent); None to go on."""
    integration = ctx.integration
    if integration.flow is None:
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
    return None


def settle_failure(job: SyncJob, ctx: Context, exc: Exception) -> str:
    """What a failure means for the job: wait for a person, back off, park, or fail with the reason."""
    integration = ctx.integration
    try:
        raise exc
    except LeaseLost:
        raise
    except NeedsReview as exc:
        settle(job, SyncJob.Status.WAITING_REVIEW, last_error_type="NeedsReview", last_error_message=str(exc))
        ctx.record("job.waiting_review", str(exc), "warning")
        return job.status
    except RateLimited as exc:
        connection = integration.target if exc.provider == integration.target.provider else integration.source
        wait = backoff(job.attempts, exc.retry_after)
        pause(connection, exc.retry_after if exc.retry_after is not None else wait, exc.message)
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
    prepared = prepare(job, ctx, flow)
    if prepared is None:
        return job.status
    record, ref, plan = prepared
    outcomes = []
    for part in plan.parts:
        step = plan_part(job, ctx, flow, record, ref, part)
        if isinstance(step, dict):
            outcomes.append(step)
            continue
        ctx.writing(*step.ledger_args)
        try:
            written = flow.write(ctx, part, step.target_id)
        except ProviderError as exc:
            if not exc.retryable:  # refused outright: nothing landed, and the next try is a new attempt
                ctx.unwritten(step.source.type, step.source.id, part.part)
            raise
        outcomes.append(land_part(ctx, step, written))
    finish(job, plan, outcomes)
    return job.status


def prepare(job: SyncJob, ctx: Context, flow) -> tuple[dict, SourceRef, Plan] | None:
    """Fetch and map: (record, ref, plan), or None when the job is settled already (gone, skipped)."""
    ref = SourceRef(job.source_type, job.source_id)
    record = flow.fetch(ctx, ref)
    if record is None:
        settle(job, SyncJob.Status.SUCCEEDED, result={"outcome": "source record not found"})
        ctx.record("job.skipped", f"{ref.type} {ref.id} no longer exists at the source; nothing to write.")
        return None
    ctx.record("job.fetched", f"Fetched {ref.type} {ref.id}.", data={"record": record})
    try:
        plan = Plan.of(flow.map(ctx, record))
    except Skip as exc:
        settle(job, SyncJob.Status.SUCCEEDED, result={"outcome": "skipped", "reason": str(exc)})
        ctx.record("job.skipped", str(exc))
        return None
    single = len(plan.parts) == 1
    ctx.record(
        "job.mapped",
        plan.summary or f"Mapped to {', '.join(part.target_type for part in plan.parts)}.",
        data={
            "input": fetched_reference(record),
            "output": plan.parts[0].payload if single else {part.part: part.payload for part in plan.parts},
        },
    )
    return record, ref, plan


def fetched_reference(record: dict) -> dict:
    """What `job.mapped` keeps of its input: the record is in `job.fetched` in full, so a pointer to it and a
    digest (of the redacted form that event stores) rather than a second copy; a client's invoice history can
    be hundreds of kilobytes."""
    stored = mask_values(redact(record), audit.secrets_in_play())
    text = json.dumps(stored, sort_keys=True, ensure_ascii=False, default=str)
    return {"same_as": "job.fetched", "bytes": len(text.encode()), "sha256": hashlib.sha256(text.encode()).hexdigest()}


def finish(job: SyncJob, plan: Plan, outcomes: list[dict]) -> None:
    result = dict(outcomes[0]) if len(plan.parts) == 1 else summed(outcomes)
    settle(job, SyncJob.Status.SUCCEEDED, result=result)


@dataclass
class Write:
    """A part that must be written: to `target_id` (None: create), for `source`, linked when `identity`."""

    part: Mapped
    source: SourceRef
    identity: bool
    target_id: str | None
    method: str
    attempted: object = None  # when this payload was first tried (kept across retries)
    attempt: str = ""  # names the attempt its idempotency key comes from

    @property
    def ledger_args(self) -> tuple:
        part = self.part
        return (
            self.source.type,
            self.source.id,
            part.part,
            part.target_type,
            self.target_id,
            part.fingerprint,
            self.attempted,
            self.attempt,
        )


def plan_part(job: SyncJob, ctx: Context, flow, record: dict, ref: SourceRef, part: Mapped) -> dict | Write:
    """An outcome when nothing is to be written (unchanged, or a dry run), else the `Write` to make."""
    source = part.source or ref
    identity = part.identity
    if identity is None:
        identity = source.type == flow.source_record_type and part.target_type == flow.target_record_type
    link = ctx.link(source.type, source.id, part.target_type) if identity else None
    done = ctx.written(source.type, source.id, part.part)
    if done and done.holds(part.fingerprint, link.target_id if link else None) and not job.dry_run:
        ctx.record(
            "job.unchanged",
            f"{part.target_type} {done.target_id} already holds this; nothing written.",
            target_ref=f"{part.target_type}:{done.target_id}",
        )
        return {"outcome": "unchanged", "target": f"{part.target_type}:{done.target_id}", "part": part.part}
    if link:
        target_id, method = link.target_id, link.method
    elif not identity and done and done.target_id:
        target_id, method = done.target_id, "written before"
    else:
        target_id, method = flow.find_target(ctx, record, part)
        ctx.record(
            "job.matched",
            f"Target for {source.type} {source.id}: {target_id or 'none, will create'} ({method}).",
            data={"target_id": target_id, "method": method, "part": part.part},
        )
    if job.dry_run:
        would = {
            "outcome": "dry run",
            "action": "update" if target_id else "create",
            "target_type": part.target_type,
            "target_id": target_id,
            "payload": part.payload,
            "part": part.part,
        }
        ctx.record(
            "job.dry_run", f"Would {would['action']} {part.target_type} {target_id or ''}".strip() + ".", data=would
        )
        return would
    again = done is not None and done.state == done.State.PENDING and done.fingerprint == part.fingerprint
    attempted = done.attempted_at if again and done.attempted_at else timezone.now()
    attempt = done.attempt if again and done.attempt else uuid.uuid4().hex
    part.extra["idempotency_key"] = idempotency_key(ctx, source, part, attempt)
    part.extra["pending_since"] = attempted if again else None
    return Write(part, source, identity, target_id, method, attempted, attempt)


def idempotency_key(ctx: Context, source: SourceRef, part: Mapped, attempt: str) -> str:
    """The key a target with idempotency keys (Zuora) is given for this write: stable across retries of one
    attempt at the same content, new when the content changes, and new after a refusal (Zuora keeps a failed
    answer under its key too, so reusing the key would get the old refusal back after the fix)."""
    name = f"{ctx.integration.uuid}/{source.type}/{source.id}/{part.part}/{part.fingerprint}/{attempt}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ml-connector:{name}"))


def land_part(ctx: Context, step: Write, written_id) -> dict:
    """After the target answered: the ledger, the link (identity parts) and the timeline."""
    part, source, written_id = step.part, step.source, str(written_id)
    ctx.wrote(source.type, source.id, part.part, part.target_type, written_id, part.fingerprint)
    if step.identity:
        ctx.save_link(
            source.type, source.id, part.target_type, written_id, step.method if step.target_id else "created"
        )
    action = "updated" if step.target_id else "created"
    ctx.record(
        "job.written",
        f"{action.capitalize()} {part.target_type} {written_id}.",
        target_ref=f"{part.target_type}:{written_id}",
    )
    return {"outcome": action, "target": f"{part.target_type}:{written_id}", "part": part.part}


def summed(outcomes: list[dict]) -> dict:
    """A plan's result: what happened to each part, and in a word (created beats updated beats unchanged)."""
    kinds = [outcome["outcome"] for outcome in outcomes]
    overall = next((kind for kind in ("dry run", "created", "updated") if kind in kinds), "unchanged")
    first = next(outcome for outcome in outcomes if outcome["outcome"] == overall)
    return {"outcome": overall, "target": first.get("target"), "parts": outcomes}


def fail_or_retry(job: SyncJob, ctx: Context, exc: ProviderError, wait: float) -> str:
    if job.attempts >= settings.SYNC_MAX_ATTEMPTS:
        return fail(job, ctx, exc, note=f" (gave up after {job.attempts} attempts)")
    return retry_later(
        job, ctx, wait, f"{exc.kind}: {exc.message}", last_error_type=exc.kind, last_error_message=exc.message
    )


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


def run_due(integration_pk: int, limit: int = 500) -> int:
    """Run the integration's due jobs one after another: one wake-up for a page of polled records, not one each.

    Several workers may drain the same integration; each job is still claimed on its own, so none runs twice.
    """
    ran, clock = 0, TaskClock()
    due = SyncJob.objects.filter(
        integration_id=integration_pk, status=SyncJob.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at", "pk")
    for pk in list(due.values_list("pk", flat=True)[:limit]):
        if clock.spent():
            continue_draining(integration_pk)
            break
        if run(pk) is not None:
            ran += 1
    return ran


class TaskClock:
    """A drain stops once SYNC_TASK_BUDGET_SECONDS have passed and hands the rest to a new task, so no task
    outlives django-q2's timeout (which kills it and, with ack_failures, never runs it again)."""

    def __init__(self):
        self.started = time.monotonic()

    def spent(self) -> bool:
        return time.monotonic() - self.started >= settings.SYNC_TASK_BUDGET_SECONDS


def continue_draining(integration_pk: int) -> None:
    """The next stretch of a drain, as its own task; if it cannot be queued, the sweeper finds the jobs."""
    from syncs.engine.jobs import queue_task

    queue_task("syncs.tasks.run_due", integration_pk)
