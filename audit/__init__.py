"""Audit trail. `record()` is the one way to write an event; it redacts before storing."""


def record(kind, *, tenant, message, level="info", actor=None, connection=None, integration=None, data=None):
    from audit.models import AuditEvent
    from audit.redaction import redact

    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        tenant=tenant,
        kind=kind,
        level=level,
        message=message,
        actor=actor,
        connection=connection,
        integration=integration,
        data=redact(data or {}),
    )
