"""django-q2 entry points for syncs: thin (ids in, scope entered, real work elsewhere) and idempotent."""

import logging

from django_scopes import scope, scopes_disabled

import audit
from connections import registry
from connections.models import Connection, Integration
from connections.providers.errors import ProviderError
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


def poll_integration(integration_pk: int, backfill: bool = False) -> int:
    with scopes_disabled():
        integration = Integration.objects.select_related("tenant").filter(pk=integration_pk).first()
    if integration is None:
        return 0
    with scope(tenant=integration.tenant):
        record_type = integration.flow.target_record_type
        if backfill and mirror.source_for(integration.target, record_type):
            # The backlog's jobs match against the target's records: load them first, or not start.
            try:
                mirror.load(integration.target, record_type)
            except ProviderError as exc:
                polling.save_progress(integration, status="failed", error=f"Reading the target's records: {exc}")
                engine.Context(None, integration).record(
                    "backfill.failed", f"The backlog waits: the target's records could not be read ({exc}).", "error"
                )
                return 0
        return polling.run(integration, backfill=backfill)


def poll_due() -> int:
    """Scheduled: enqueue a poll for every enabled integration whose interval has passed."""
    from django_q.tasks import async_task

    due = polling.due_integrations()
    for pk in due:
        async_task("syncs.tasks.poll_integration", pk)
    return len(due)


def register_webhooks(connection_pk: int) -> dict:
    """Create the provider's missing webhooks for this connection (its package's `subscriptions.register`)."""
    with scopes_disabled():
        connection = Connection.objects.select_related("tenant").filter(pk=connection_pk).first()
    subscriptions = registry.part(connection.provider, "subscriptions") if connection else None
    if subscriptions is None:
        return {}
    with scope(tenant=connection.tenant):
        try:
            state = subscriptions.register(connection)
        except ProviderError as exc:
            audit.record(
                "webhook.registration_failed",
                tenant=connection.tenant,
                connection=connection,
                level="error",
                message=f"Could not register webhooks with {connection.provider_name}: "
                f"{exc.message}. Use Check and repair webhooks on the connection page.",
            )
            return {}
        audit.record(
            "webhook.registered",
            tenant=connection.tenant,
            connection=connection,
            message=f"Registered webhooks with {connection.provider_name} for {connection.label}.",
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
    """Scheduled: each mirrored target's changes since its watermark (the provider's changes export)."""
    count = 0
    for connection_pk, record_type in mirror.connections_to_poll():
        with scopes_disabled():
            connection = Connection.objects.select_related("tenant").get(pk=connection_pk)
        with scope(tenant=connection.tenant):
            try:
                count += mirror.poll(connection, record_type)
            except ProviderError as exc:
                logger.warning("polling the mirror of %s failed: %s", connection.uuid, exc)
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
