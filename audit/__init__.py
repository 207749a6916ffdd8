"""Audit trail. `record()` is the one way to write an event; it redacts before storing.

Events that happen while the sync engine runs a job (the flow's API calls, say) belong to that job's
timeline without every caller passing the job along: the engine runs a job inside `for_job(job)`, and
`record()` fills in the job (and its inbound event) from there unless it is given one.
"""

import contextlib
import contextvars

_current_job = contextvars.ContextVar("audit_current_job", default=None)


@contextlib.contextmanager
def for_job(job):
    """Events recorded inside this block belong to `job` (and to its inbound event)."""
    token = _current_job.set(job)
    try:
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
    from audit.redaction import redact

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
        data=redact(data or {}),
        source_ref=str(source_ref) if source_ref not in (None, "") else None,
        target_ref=str(target_ref) if target_ref not in (None, "") else None,
        pinned=pinned,
        job=job,
        event_id=getattr(inbound_event, "pk", inbound_event),
    )
