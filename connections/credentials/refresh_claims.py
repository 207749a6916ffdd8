"""Who renews a connection's tokens now: a claim on its row, taken and settled by short conditional UPDATEs.

No lock is held while the provider answers. A row lock (or SQLite's IMMEDIATE transaction) across a call of up
to PROVIDER_CONNECT_TIMEOUT + PROVIDER_READ_TIMEOUT would stall every writer, webhook ingest included, and a
timeout would roll back the only copy of a rotated refresh token. Instead:

1. `take` sets `refresh_claim` (a random token) and `refresh_started_at` where no live claim is held, and
   re-reads the row: from here on nobody else renews it;
2. the caller asks the provider, outside any transaction;
3. `store` writes the answer and frees the claim in one short transaction, or `release` frees it.

A claim lapses after TOKEN_REFRESH_CLAIM_SECONDS, longer than any one call, so a worker killed mid-refresh
blocks no one; the worker taking over records that an answer was lost (`refresh_lost_at`). An answer is stored
only if no newer tokens were stored since the claim was taken (`tokens_refreshed_at` unchanged): a reconnect
meanwhile wins. With rotating tokens, an answer that comes back after its claim lapsed is still the only live
pair (whoever took over was refused), so it is stored all the same.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connections.models import Connection


def window() -> timedelta:
    return timedelta(seconds=settings.TOKEN_REFRESH_CLAIM_SECONDS)


def read(connection_pk: int) -> Connection:
    return Connection.objects.select_related("tenant").get(pk=connection_pk)


def in_flight(row: Connection) -> bool:
    """Whether another worker holds a live claim on this row."""
    started = row.refresh_started_at
    return bool(row.refresh_claim) and started is not None and started > timezone.now() - window()


def take(row: Connection, *, spends_refresh_token: bool = True) -> tuple[Connection, str] | None:
    """Claim the refresh of `row` (as read, with no live claim); (the row read again, the claim) or None when
    another worker claimed it first. Taking over a lapsed claim records its answer as lost when a refresh
    spends the refresh token (not for client credentials, which nothing uses up)."""
    claim = secrets.token_hex(16)
    values = {"refresh_claim": claim, "refresh_started_at": timezone.now()}
    if row.refresh_claim and spends_refresh_token:  # its worker died or stalled mid-call: its answer is lost
        values["refresh_lost_at"] = row.refresh_started_at or timezone.now()
    if not Connection.objects.filter(pk=row.pk, refresh_claim=row.refresh_claim).update(**values):
        return None
    return read(row.pk), claim


def release(connection_pk: int, claim: str, *, lost: bool = False) -> None:
    """Free our claim; `lost`: the provider may have acted on a request whose answer never came back."""
    values = {"refresh_claim": "", "refresh_started_at": None}
    if lost:
        values["refresh_lost_at"] = timezone.now()
    Connection.objects.filter(pk=connection_pk, refresh_claim=claim).update(**values)


def store(row: Connection, claim: str, values: dict) -> bool:
    """Write a renewal's answer (`values`: column to value) unless newer tokens were stored since `row` was
    read; frees our claim either way. True when stored."""
    now = timezone.now()
    with transaction.atomic():
        stored = Connection.objects.filter(pk=row.pk, tokens_refreshed_at=row.tokens_refreshed_at).update(
            **values, tokens_refreshed_at=now, refresh_lost_at=None, updated_at=now
        )
        release(row.pk, claim)
    return bool(stored)


def recovered(connection_pk: int) -> bool:
    """A renewal was stored after the connection had been marked needs_reauth (a worker that stalled past its
    claim, its sibling refused with the spent token): the tokens work, so it is active again."""
    return bool(
        Connection.objects.filter(pk=connection_pk, status=Connection.Status.NEEDS_REAUTH).update(
            status=Connection.Status.ACTIVE, last_error="", updated_at=timezone.now()
        )
    )


def doubt(connection_pk: int, claim: str) -> None:
    """A refusal that followed a lost answer was not believed: free the claim and forget the loss, so the next
    refusal, if the provider refuses again, is."""
    Connection.objects.filter(pk=connection_pk, refresh_claim=claim).update(
        refresh_claim="", refresh_started_at=None, refresh_lost_at=None
    )
