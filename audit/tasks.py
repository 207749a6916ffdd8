"""django-q2 entry points of the audit app: thin, idempotent, scheduled by setup_schedules."""

from audit import retention


def prune():
    """Daily: delete audit events past AUDIT_RETENTION_DAYS (pinned ones stay)."""
    return retention.prune()
