"""Retention: audit events older than AUDIT_RETENTION_DAYS are deleted, except pinned ones.

Pinned events carry a failed job's payloads and stay until the job is resolved (see AuditEvent). Deleting
runs in batches of primary keys, each its own short statement, so a large backlog never holds a long
lock on the table that every sync is writing to.
"""

import datetime
import re

from django.conf import settings
from django.utils import timezone
from django_scopes import scopes_disabled

from audit.models import AuditEvent

UNITS = {"h": "hours", "d": "days", "w": "weeks"}
AGE_PATTERN = re.compile(r"^\s*(\d+)\s*([hdw])\s*$", re.IGNORECASE)


def parse_age(text: str) -> datetime.timedelta:
    """ "90d", "12h" or "2w" as a timedelta; anything else is a ValueError."""
    match = AGE_PATTERN.match(text or "")
    if not match or int(match[1]) == 0:
        raise ValueError(f"{text!r} is not an age such as 90d, 12h or 2w.")
    return datetime.timedelta(**{UNITS[match[2].lower()]: int(match[1])})


def default_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)


def prunable(older_than: datetime.timedelta):
    """Every tenant's events older than `older_than`, pinned ones excepted (platform-wide, hence unscoped)."""
    with scopes_disabled():
        return AuditEvent.objects.filter(created_at__lt=timezone.now() - older_than, pinned=False)


def prune(older_than: datetime.timedelta | None = None, *, batch_size: int = 5000) -> int:
    """Delete the prunable events in batches; the number deleted."""
    queryset = prunable(older_than or default_age())
    deleted = 0
    with scopes_disabled():
        while True:
            ids = list(queryset.order_by().values_list("id", flat=True)[:batch_size])
            if not ids:
                return deleted
            deleted += AuditEvent.objects.filter(id__in=ids).delete()[0]
