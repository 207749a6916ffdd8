"""Failures of scheduled work, recorded on the connection they concern instead of stopping everyone's work.

The scheduled loops (token refresh, the mirror poll) go through every tenant's connections. One that cannot be
handled (a secret no key in FIELD_ENCRYPTION_KEY decrypts, an answer the code did not expect) is marked here
and the loop carries on. The mark is the connection's `error` status with `last_error`, shown on its page and
as an alert on the dashboard, and an audit event whenever the message is new. `error_source` says which work
set it, so only that work's next success clears it.

Only the row's plain columns are read and written, so a row whose secrets cannot be decrypted is marked too.
"""

import logging

from django.db.models import Q
from django.utils import timezone

import audit
from connections.credentials.fields import SecretDecryptionError
from connections.models import Connection, Tenant
from connections.providers.errors import ProviderError

logger = logging.getLogger(__name__)

TOKEN_REFRESH = "token_refresh"  # noqa: S105 - a name, not a secret
MIRROR_POLL = "mirror_poll"
WHAT = {TOKEN_REFRESH: "Renewing access", MIRROR_POLL: "Reading changed records into the mirror"}

# Active connections, and those already in error through scheduled work; never one a person must act on
# (needs_reauth, disabled) nor one whose error is a person's next step (an account still to choose).
MARKABLE = Q(status=Connection.Status.ACTIVE) | (Q(status=Connection.Status.ERROR) & ~Q(error_source=""))


def describe(source: str, exc: BaseException) -> str:
    """What to tell people: a decryption error in full (it names FIELD_ENCRYPTION_KEY and the fix), a
    provider's own words, else only the exception's type, since its text may hold anything."""
    what = WHAT[source]
    if isinstance(exc, SecretDecryptionError):
        return f"{what} failed: {exc}"
    if isinstance(exc, ProviderError):
        return f"{what} failed: {exc.message}"
    return f"{what} failed unexpectedly ({type(exc).__name__}); the next scheduled run tries again."


def handle(connection_pk: int, source: str, exc: BaseException) -> None:
    """Log `exc` (type and connection, no traceback: its text may hold anything) and record it."""
    logger.error("%s for connection %s failed: %s", WHAT[source], connection_pk, type(exc).__name__)
    record(connection_pk, source, describe(source, exc))


def record(connection_pk: int, source: str, message: str) -> bool:
    """Put the connection in `error` with `message`; True when that is news (and so audited)."""
    row = _plain(connection_pk)
    if row is None or (row.status == Connection.Status.ERROR and row.last_error == message):
        return False
    changed = (
        Connection.objects.filter(MARKABLE, pk=connection_pk)
        .exclude(status=Connection.Status.ERROR, last_error=message)
        .update(status=Connection.Status.ERROR, last_error=message, error_source=source, updated_at=timezone.now())
    )
    if changed:
        audit.record(
            "connection.failed",
            tenant=Tenant.objects.get(pk=row.tenant_id),
            connection=row,
            level="error",
            message=f"{row.label}: {message}",
            data={"source": source},
        )
    return bool(changed)


def clear(connection_pk: int, source: str) -> bool:
    """`source` worked again: back to active if it was what put the connection in error."""
    changed = Connection.objects.filter(pk=connection_pk, status=Connection.Status.ERROR, error_source=source).update(
        status=Connection.Status.ACTIVE, last_error="", error_source="", updated_at=timezone.now()
    )
    if changed:
        row = _plain(connection_pk)
        audit.record(
            "connection.recovered",
            tenant=Tenant.objects.get(pk=row.tenant_id),
            connection=row,
            message=f"{row.label}: {WHAT[source].lower()} works again.",
            data={"source": source},
        )
    return bool(changed)


def _plain(connection_pk: int) -> Connection | None:
    """The connection without its secrets (never read, so never decrypted): enough to mark and audit it."""
    fields = ("uuid", "tenant_id", "label", "provider", "status", "last_error", "error_source")
    values = Connection.objects.filter(pk=connection_pk).values(*fields).first()
    return Connection(pk=connection_pk, **values) if values else None
