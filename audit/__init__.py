"""Audit trail. `record()` is the one way to write an event; it redacts before storing.

Events that happen while the sync engine runs a job (the flow's API calls, say) belong to that job's
timeline without every caller passing the job along: the engine runs a job inside `for_job(job)`, and
`record()` fills in the job (and its inbound event) from there unless it is given one.
"""

import contextlib
import contextvars

_current_job = contextvars.ContextVar("audit_current_job", default=None)
_secrets = contextvars.ContextVar("audit_secrets", default=frozenset())


def secret_values(*holders) -> frozenset[str]:
    """The secrets of these connections (anything with `secret_values()`; None is skipped)."""
    found = frozenset()
    for holder in holders:
        values = getattr(holder, "secret_values", None)
        if values is not None:
            found |= values()
    return found


def secrets_in_play() -> frozenset[str]:
    return _secrets.get()


@contextlib.contextmanager
def masking(*connections):
    """Inside this block every event and log line masks these connections' secrets by value."""
    token = _secrets.set(_secrets.get() | secret_values(*connections))
    try:
        yield
    finally:
        _secrets.reset(token)


@contextlib.contextmanager
def for_job(job):
    """Events recorded inside this block belong to `job` (and to its inbound event), and mask the secrets of
    both of its integration's connections."""
    token = _current_job.set(job)
    integration = getattr(job, "integration", None)
    try:
        with masking(getattr(integration, "source", None), getattr(integration, "target", None)):
            yield job
    finally:
        _current_job.reset(token)


def record(
    kind,
    *,
    tenant,
    message,
    level="info",
    actor=None,
    connection=None,
    integration=None,
    data=None,
    source_ref=None,
    target_ref=None,
    pinned=False,
    job=None,
    inbound_event=None,
):
    """Write one AuditEvent. `source_ref`/`target_ref`: the record's id on either system (see AuditEvent).

    `job` defaults to the job being run (see `for_job`), if it is this tenant's; `inbound_event` to its event.
    """
    from audit.models import AuditEvent
    from audit.redaction import mask_values, redact

    secrets = _secrets.get() | secret_values(connection)
    data, message = mask_values(redact(data or {}), secrets), mask_values(message, secrets)
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if connection is not None and connection.pk is None:
        connection = None  # a connection being tried before it is saved (a connect form's first token)
    if job is None:
        running = _current_job.get()
        job = running if running is not None and running.tenant_id == tenant.pk else None
    if inbound_event is None and job is not None:
        inbound_event = job.event_id
    return AuditEvent.objects.create(
        tenant=tenant,
        kind=kind,
        level=level,
        message=message,
        actor=actor,
        connection=connection,
        integration=integration,
        data=data,
        source_ref=str(source_ref) if source_ref not in (None, "") else None,
        target_ref=str(target_ref) if target_ref not in (None, "") else None,
        pinned=pinned,
        job=job,
        event_id=getattr(inbound_event, "pk", inbound_event),
    )
