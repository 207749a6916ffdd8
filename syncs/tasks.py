"""django-q2 entry points for syncs: thin (ids in, scope entered, real work elsewhere) and idempotent."""

import logging

from django_scopes import scope, scopes_disabled

import audit
from connections import failures, registry
from connections.models import Connection, Integration
from connections.providers.errors import AuthExpired, ProviderError, Retryable
from syncs import engine, fitcheck, mirror, polling, retention
from syncs.ingest import events
from syncs.models import FitCheck, InboundEvent, SyncJob

logger = logging.getLogger(__name__)


def process_event(event_pk: int) -> int:
    """Turn a stored InboundEvent into jobs; safe to run twice (see syncs.ingest.events.process)."""
    with scopes_disabled():
        event = InboundEvent.objects.select_related("tenant", "connection").filter(pk=event_pk).first()
    if event is None:
        return 0
    with scope(tenant=event.tenant):
        return events.process(event)


def run_job(job_pk: int) -> str | None:
    with scopes_disabled():
        tenant = SyncJob.objects.filter(pk=job_pk).values_list("tenant", flat=True).first()
    if tenant is None:
        return None
    with scope(tenant=tenant):
        return engine.run(job_pk)


def replay_jobs(job_pks: list[int], actor_pk: int | None = None) -> int:
    """ "Replay all", a batch at a time (syncs.engine.replay_matching queues these), in each job's tenant."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_pk).first() if actor_pk else None
    with scopes_disabled():
        by_tenant = {}
        for pk, tenant in SyncJob.objects.filter(pk__in=job_pks).values_list("pk", "tenant"):
            by_tenant.setdefault(tenant, []).append(pk)
    count = 0
    for tenant, pks in by_tenant.items():
        with scope(tenant=tenant):
            count += engine.replay_jobs(pks, actor)
    return count


def run_due(integration_pk: int) -> int:
    with scopes_disabled():
        tenant = Integration.objects.filter(pk=integration_pk).values_list("tenant", flat=True).first()
    if tenant is None:
        return 0
    with scope(tenant=tenant):
        return engine.run_batch(integration_pk)


def sweep() -> dict:
    return engine.sweep()


def prune() -> dict:
    """Hourly: finished jobs, inbound events, mirror tombstones and ledger rows past their retention
    (syncs.retention; each run stops within its time budget, the next one goes on)."""
    return retention.prune()


def poll_integration(
    integration_pk: int, backfill: bool = False, claim: str | None = None, resume: dict | None = None
) -> int:
    """One stretch of a poll (or backfill) of an integration, under its claim: none runs while another one
    does. `resume` is the checkpoint a previous stretch stopped at (syncs.polling.run); the claim passes on."""
    with scopes_disabled():
        integration = Integration.objects.select_related("tenant").filter(pk=integration_pk).first()
    if integration is None:
        return 0
    with scope(tenant=integration.tenant):
        claim = polling.hold(integration, claim, backfill=backfill)
        if claim is None:
            logger.info("integration %s is being polled already; this poll is not run", integration_pk)
            return 0
        handed_on = False
        try:
            return walk(integration, backfill, claim, resume)
        except polling.Continues as continued:
            handed_on = True
            return continued.seen
        finally:
            if not handed_on:
                polling.let_go(integration.pk, claim)


def walk(integration: Integration, backfill: bool, claim: str, resume: dict | None = None) -> int:
    record_type = integration.flow.target_record_type
    if backfill and not resume and mirror.source_for(integration.target, record_type):
        # The backlog's jobs match against the target's records: load them first, or not start.
        try:
            mirror.load(integration.target, record_type)
        except ProviderError as exc:
            polling.save_progress(integration, status="failed", error=f"Reading the target's records: {exc}")
            engine.Context(None, integration).record(
                "backfill.failed", f"The backlog waits: the target's records could not be read ({exc}).", "error"
            )
            return 0
    return polling.run(integration, backfill=backfill, claim=claim, resume=resume)


def poll_due() -> int:
    """Scheduled: claim and queue a poll of every enabled integration whose interval has passed, unless one
    still runs (see syncs.polling)."""
    from syncs.engine.jobs import queue_task

    due = polling.claim_due()
    for pk, claim in due:
        if not queue_task("syncs.tasks.poll_integration", pk, False, claim):
            with scopes_disabled():
                polling.let_go(pk, claim)
    # A backfill whose worker was killed goes on from its last page, not from the start.
    for pk, checkpoint in polling.stalled_backfills():
        queue_task("syncs.tasks.poll_integration", pk, True, None, checkpoint)
    return len(due)


def register_webhooks(connection_pk: int, actor_pk: int | None = None) -> dict:
    """Create the provider's missing webhooks for this connection (its package's `subscriptions.register`):
    a task, since it can take several provider calls (six for FreshBooks), more than a request should wait."""
    from django.contrib.auth import get_user_model

    with scopes_disabled():
        connection = Connection.objects.select_related("tenant").filter(pk=connection_pk).first()
    subscriptions = registry.part(connection.provider, "subscriptions") if connection else None
    if subscriptions is None:
        return {}
    actor = get_user_model().objects.filter(pk=actor_pk).first() if actor_pk else None
    with scope(tenant=connection.tenant):
        try:
            state = subscriptions.register(connection)
        except ProviderError as exc:
            audit.record(
                "webhook.registration_failed",
                tenant=connection.tenant,
                connection=connection,
                actor=actor,
                level="error",
                message=f"Could not register webhooks with {connection.provider_name}: "
                f"{exc.message}. Use Check and repair webhooks on the connection page.",
            )
            return {}
        audit.record(
            "webhook.registered",
            tenant=connection.tenant,
            connection=connection,
            actor=actor,
            message=f"{actor.email if actor else 'ml-connector'} registered webhooks with "
            f"{connection.provider_name} for {connection.label}.",
            data={"state": state},
        )
        return state


def confirm_webhook(connection_pk: int, subscription_id: str) -> None:
    """A verification handshake's answer, sent after the provider's verification request was stored."""
    with scopes_disabled():
        connection = Connection.objects.select_related("tenant").get(pk=connection_pk)
    with scope(tenant=connection.tenant):
        registry.part(connection.provider, "subscriptions").confirm(connection, subscription_id)


def load_mirror(connection_pk: int, record_type: str | None = None) -> int:
    """On demand: a full load of one connection's records of one type (every mirrored type when None)."""
    with scopes_disabled():
        connection = Connection.objects.select_related("tenant").filter(pk=connection_pk).first()
    if connection is None:
        return 0
    with scope(tenant=connection.tenant):
        types = [record_type] if record_type else list(mirror.sources(connection))
        return sum(mirror.load(connection, kind) for kind in types)


def poll_mirrors() -> int:
    """Scheduled: each mirrored target's changes since its watermark (the provider's changes export), one task
    per mirror, so the whole round is never one task that django-q2's timeout could cut; returns how many."""
    from syncs.engine.jobs import queue_task

    mirrors = mirror.connections_to_poll()
    for pk, record_type in mirrors:
        queue_task("syncs.tasks.poll_mirror", pk, record_type)
    return len(mirrors)


def poll_mirror(connection_pk: int, record_type: str) -> int:
    """One connection's mirror poll. A failure is recorded on that connection, never stops the others'."""
    with scopes_disabled():
        tenant = Connection.objects.filter(pk=connection_pk).values_list("tenant", flat=True).first()
    if tenant is None:
        return 0
    with scope(tenant=tenant):
        try:
            connection = Connection.objects.select_related("tenant").get(pk=connection_pk)
            count = mirror.poll(connection, record_type)
        except (AuthExpired, Retryable) as exc:
            # A refusal is already on the connection (needs_reauth); a transient failure is tried again next run.
            logger.warning("polling the mirror of connection %s failed: %s", connection_pk, type(exc).__name__)
            return 0
        except Exception as exc:
            failures.handle(connection_pk, failures.MIRROR_POLL, exc)
            return 0
        failures.clear(connection_pk, failures.MIRROR_POLL)
        return count


def run_fit_check(check_pk: int) -> str | None:
    with scopes_disabled():
        check = FitCheck.objects.select_related("tenant", "integration__source", "integration__target").filter(
            pk=check_pk
        )
        check = check.first()
    if check is None:
        return None
    with scope(tenant=check.tenant):
        return fitcheck.run(check).status
