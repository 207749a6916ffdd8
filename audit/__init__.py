"""Audit trail. `record()` is the one way to write an event; it redacts before storing."""


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
):
    """Write one AuditEvent. `source_ref`/`target_ref`: the record's id on either system (see AuditEvent)."""
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
        source_ref=str(source_ref) if source_ref not in (None, "") else None,
        target_ref=str(target_ref) if target_ref not in (None, "") else None,
        pinned=pinned,
    )
