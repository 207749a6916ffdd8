"""Token lifecycle: renew before expiry, once on a 401, daily for rotating refresh tokens; never twice.

Renewal follows the provider's auth kind: the refresh-token grant for OAuth connections, a new token minted
from the stored client credentials for server-to-server ones (`client_credentials`), whose tokens carry no
expiry and are renewed when the provider says 401.

Many providers' refresh tokens work once and rotate: two workers refreshing the same connection at the same
moment would leave one of them holding a dead token and the connection broken. So a refresh is claimed first
(`refresh_claims`: a conditional UPDATE, no lock held while the provider answers); the claimant re-reads the
row, skips when a sibling already refreshed, asks the provider outside any transaction and stores the answer
in a short one. Others meanwhile use the current token while it is still valid, or poll the row briefly for
the claimant's answer.

An answer can be lost after the provider acted on it (a read timeout, a 5xx, a worker killed mid-call): a
rotating provider has then spent the stored refresh token, and the next refresh is refused. That refusal is
not believed at once: the connection is marked in error and renewal tried again later with whatever token is
stored by then (a worker that stalled past its claim still stores the answer it got). Only a refusal with no
answer lost before it marks the connection `needs_reauth`; `invalid_grant` is also re-checked against a fresh
read, in case newer tokens were stored meanwhile.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_scopes import scope, scopes_disabled

import audit
from connections import failures, registry
from connections.credentials import client_credentials, refresh_claims
from connections.credentials.token_endpoint import AnswerLost, InvalidGrant, post
from connections.models import Connection
from connections.providers.base import AuthKind
from connections.providers.errors import AuthExpired, ProviderError, Retryable

logger = logging.getLogger(__name__)

# How long a caller with no usable token waits for a sibling's refresh before trying again later: 5 s.
WAIT_STEP_SECONDS = 0.25
WAIT_STEPS = 20


def margin() -> timedelta:
    return timedelta(seconds=settings.TOKEN_REFRESH_MARGIN_SECONDS)


def pause(seconds: float) -> None:
    time.sleep(seconds)


def access_token_for(connection: Connection) -> str | None:
    """The access token to use now, refreshed first when it expires within the margin."""
    if connection.status == Connection.Status.NEEDS_REAUTH:
        raise AuthExpired(
            f"{connection.provider_name} needs to be reconnected before it can be used.", provider=connection.provider
        )
    if not connection.access_token:
        if kind_of(connection) == AuthKind.CLIENT_CREDENTIALS and connection.client_secret:
            return refresh(connection, reason="no token yet")
        return None
    expires = connection.access_expires_at
    renewable = connection.refresh_token or kind_of(connection) == AuthKind.CLIENT_CREDENTIALS
    if expires is not None and expires - margin() <= timezone.now() and renewable:
        return refresh(connection, reason="the access token expires soon")
    return connection.access_token


def refresh(connection: Connection, *, stale_access_token: str | None = None, reason: str = "") -> str:
    """Refresh `connection` once across every process; returns the access token to use.

    `stale_access_token` is the token a caller saw fail: if the row already holds another one, a sibling has
    refreshed in the meantime and that one is returned without calling the provider.
    """
    if connection.pk is None:
        raise AuthExpired(
            f"{connection.provider_name} refused the token it had just issued.", provider=connection.provider
        )
    for step in range(WAIT_STEPS):
        if step:
            pause(WAIT_STEP_SECONDS)
        row = refresh_claims.read(connection.pk)
        if not needs_renewal(row, stale_access_token):
            copy_tokens(row, connection)
            return row.access_token
        if refresh_claims.in_flight(row):
            if stale_access_token is None and still_valid(row):
                copy_tokens(row, connection)
                return row.access_token
            continue
        taken = refresh_claims.take(row, spends_refresh_token=spends_refresh_token(row))
        if taken is None:
            continue
        row, claim = taken
        if not needs_renewal(row, stale_access_token):  # a sibling stored its answer just before our claim
            refresh_claims.release(row.pk, claim)
            copy_tokens(row, connection)
            return row.access_token
        return renew_claimed(connection, row, claim, reason)
    raise Retryable(
        f"Another worker is renewing the {connection.provider_name} access token; trying again shortly.",
        provider=connection.provider,
    )


def needs_renewal(row: Connection, stale_access_token: str | None) -> bool:
    if stale_access_token is not None:
        return row.access_token == stale_access_token
    return due(row)


def still_valid(row: Connection) -> bool:
    expires = row.access_expires_at
    return bool(row.access_token) and (expires is None or expires > timezone.now())


def spends_refresh_token(row: Connection) -> bool:
    """Whether renewing uses up what is stored, so that a lost answer may leave a spent token behind."""
    return kind_of(row) != AuthKind.CLIENT_CREDENTIALS


def renew_claimed(connection: Connection, row: Connection, claim: str, reason: str) -> str:
    """Ask the provider (no transaction open, the claim ours), then store its answer or say why not."""
    spends = spends_refresh_token(row)
    used_refresh_token = row.refresh_token
    try:
        tokens, learnt = renew(row)
    except InvalidGrant as exc:
        return refused(connection, row, claim, used_refresh_token, str(exc))
    except AnswerLost:
        refresh_claims.release(row.pk, claim, lost=spends)
        raise
    except ProviderError:  # asked nothing (unsafe host, no connection) or told to wait (429)
        refresh_claims.release(row.pk, claim)
        raise
    except BaseException:  # an answer we could not read is an answer lost
        refresh_claims.release(row.pk, claim, lost=spends)
        raise
    values = {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token or row.refresh_token,
        "access_expires_at": tokens.access_expires_at,
        "refresh_expires_at": tokens.refresh_expires_at or row.refresh_expires_at,
        "addresses": {**row.addresses, **learnt},
    }
    if not refresh_claims.store(row, claim, values):
        logger.warning("dropped a token answer for connection %s: newer tokens were stored meanwhile", row.pk)
        fresh = refresh_claims.read(row.pk)
        copy_tokens(fresh, connection)
        return fresh.access_token
    for name, value in values.items():
        setattr(row, name, value)
    if row.status == Connection.Status.ERROR and not row.error_source and not row.settings.get("choices"):
        Connection.objects.filter(pk=row.pk, status=Connection.Status.ERROR, error_source="").update(
            status=Connection.Status.ACTIVE
        )
        row.status = Connection.Status.ACTIVE
    if failures.clear(row.pk, failures.TOKEN_REFRESH):
        row.status, row.last_error = Connection.Status.ACTIVE, ""
    if refresh_claims.recovered(row.pk):
        row.status, row.last_error = Connection.Status.ACTIVE, ""
        audit.record(
            "connection.recovered",
            tenant=row.tenant,
            connection=row,
            message=f"{row.label}: {row.provider_name} renewed access after all; no reconnection is needed.",
        )
    audit.record(
        "token.refreshed",
        tenant=row.tenant,
        connection=row,
        message=f"Refreshed the {row.provider_name} access token ({reason or 'scheduled'}).",
        data={"expires_at": str(tokens.access_expires_at)},
    )
    copy_tokens(row, connection)
    return row.access_token


def refused(connection: Connection, row: Connection, claim: str, used_refresh_token, why: str) -> str:
    """The provider refused: use newer tokens if some were stored meanwhile, doubt a refusal that follows a
    lost answer, else mark the connection for a person."""
    fresh = refresh_claims.read(row.pk)
    if used_refresh_token and fresh.refresh_token != used_refresh_token and fresh.access_token:
        refresh_claims.release(row.pk, claim)
        copy_tokens(fresh, connection)
        return fresh.access_token
    if fresh.refresh_claim != claim:  # our claim lapsed and another worker holds it: theirs to settle
        raise Retryable(
            f"Another worker is renewing the {fresh.provider_name} access token; trying again shortly.",
            provider=fresh.provider,
        )
    if fresh.refresh_lost_at is not None:
        refresh_claims.doubt(row.pk, claim)
        message = (
            f"{fresh.provider_name} refused the stored refresh token ({why}) after the answer to an earlier "
            "refresh was lost. Renewal is tried again shortly; only if it is refused again does the connection "
            "need reconnecting."
        )
        failures.record(row.pk, failures.TOKEN_REFRESH, message)
        raise Retryable(message, provider=fresh.provider)
    refresh_claims.release(row.pk, claim)
    error = mark_needs_reauth(fresh, why)
    copy_tokens(fresh, connection)
    raise error


def kind_of(connection: Connection) -> str:
    """How this connection authenticates: what it was connected with, else its provider's first auth kind."""
    chosen = connection.settings.get("auth")
    if chosen:
        return chosen
    provider = registry.find_provider(connection.provider)
    return provider.auth_kinds[0] if provider and provider.auth_kinds else AuthKind.OAUTH2_USER


def renew(connection: Connection):
    """(new tokens, addresses learnt) by the connection's auth kind; raises InvalidGrant when impossible."""
    if kind_of(connection) == AuthKind.CLIENT_CREDENTIALS:
        if not connection.client_secret:
            raise InvalidGrant("there are no client credentials")
        return client_credentials.mint(connection)
    if not connection.refresh_token:
        raise InvalidGrant("there is no refresh token")
    return request_refresh(connection), {}


def due(connection: Connection) -> bool:
    expires = connection.access_expires_at
    return expires is None or expires - margin() <= timezone.now()


def copy_tokens(source: Connection, target: Connection) -> None:
    for field in ("access_token", "refresh_token", "access_expires_at", "refresh_expires_at", "status", "last_error"):
        setattr(target, field, getattr(source, field))


def request_refresh(connection: Connection):
    """POST the refresh grant to the provider's token endpoint."""
    backend = registry.part(connection.provider, "auth")
    instance = backend(strategy=None)
    params = instance.refresh_params(connection)
    as_json = backend.ACCESS_TOKEN_PAYLOAD == "json"  # noqa: S105 - a body encoding, not a secret
    payload = {"json": params} if as_json else {"data": params}
    body = post(connection, instance.refresh_url(connection), what="token refresh", **payload)
    return instance.token_expiry(body)


def mark_needs_reauth(connection: Connection, why: str) -> AuthExpired:
    """Flag the connection for a person, say so once in the audit log, and return the error to raise."""
    message = (
        f"{connection.provider_name} refused to renew access ({why}). Reconnect it to resume syncing; "
        "nothing is lost meanwhile."
    )
    if connection.status != Connection.Status.NEEDS_REAUTH:
        Connection.objects.filter(pk=connection.pk).update(
            status=Connection.Status.NEEDS_REAUTH, last_error=message, error_source="", updated_at=timezone.now()
        )
        audit.record(
            "connection.needs_reauth", tenant=connection.tenant, connection=connection, level="error", message=message
        )
    connection.status = Connection.Status.NEEDS_REAUTH
    connection.last_error = message
    return AuthExpired(message, provider=connection.provider)


def refresh_due_connections() -> int:
    """Refresh tokens expiring within the margin, and every rotating refresh token once a day, here and now
    (the schedule hands each to a task of its own: connections.tasks.refresh_tokens).

    Each connection on its own: one that fails is recorded on itself (`connections.failures`) and the others
    are still refreshed. Candidates are read without their secrets, so one that cannot be decrypted is found
    when its turn comes, not while every tenant's are loaded.
    """
    count = 0
    for pk in due_for_refresh():
        with scopes_disabled():
            tenant_id = Connection.objects.filter(pk=pk).values_list("tenant_id", flat=True).first()
        with scope(tenant=tenant_id):
            count += refresh_scheduled(pk)
    return count


def due_for_refresh() -> list[int]:
    """Connections whose access token expires within the margin, or whose refresh token was last rotated
    more than a day ago; read without their secrets."""
    now = timezone.now()
    day_ago = now - timedelta(days=1)
    with scopes_disabled():
        candidates = list(
            Connection.objects.filter(status__in=[Connection.Status.ACTIVE, Connection.Status.ERROR])
            .exclude(refresh_token=None)
            .values_list("pk", "access_expires_at", "tokens_refreshed_at")
        )
    return [
        pk
        for pk, expires, last in candidates
        if expires is None or expires - margin() <= now or last is None or last <= day_ago
    ]


def refresh_scheduled(connection_pk: int) -> bool:
    """One connection's scheduled refresh; True when it renewed. Nothing it raises reaches the loop."""
    try:
        connection = Connection.objects.select_related("tenant").get(pk=connection_pk)
        refresh(connection, stale_access_token=connection.access_token, reason="scheduled")
    except Connection.DoesNotExist:
        return False
    except (AuthExpired, Retryable) as exc:
        # A refusal is already on the connection (needs_reauth); a transient failure is tried again next run.
        logger.warning("scheduled refresh of connection %s failed: %s", connection_pk, type(exc).__name__)
        return False
    except Exception as exc:
        failures.handle(connection_pk, failures.TOKEN_REFRESH, exc)
        return False
    failures.clear(connection_pk, failures.TOKEN_REFRESH)
    return True
