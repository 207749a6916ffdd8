"""Token lifecycle: renew before expiry, once on a 401, daily for rotating refresh tokens; never twice.

Renewal follows the provider's auth kind: the refresh-token grant for OAuth connections, a new token minted
from the stored client credentials for server-to-server ones (`client_credentials`), whose tokens carry no
expiry and are renewed when the provider says 401.

Many providers' refresh tokens work once and rotate: two workers refreshing the same connection at
the same moment would leave one of them holding a dead token and the connection broken. So a refresh takes
the connection's row lock (`select_for_update`; on SQLite the IMMEDIATE transaction serialises writers),
re-reads it, skips when a sibling already refreshed, and saves the new pair in the same transaction.
`invalid_grant` is re-checked once against a fresh read before the connection is marked `needs_reauth`.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

import audit
from connections import failures, registry
from connections.credentials import client_credentials
from connections.credentials.token_endpoint import InvalidGrant, post
from connections.models import Connection
from connections.providers.base import AuthKind
from connections.providers.errors import AuthExpired, Retryable

logger = logging.getLogger(__name__)


def margin() -> timedelta:
    return timedelta(seconds=settings.TOKEN_REFRESH_MARGIN_SECONDS)


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
    with transaction.atomic():
        locked = Connection.objects.select_for_update(of=("self",)).get(pk=connection.pk)
        if stale_access_token is not None and locked.access_token != stale_access_token:
            copy_tokens(locked, connection)
            return locked.access_token
        if stale_access_token is None and not due(locked):
            copy_tokens(locked, connection)
            return locked.access_token
        used_refresh_token = locked.refresh_token
        try:
            tokens, learnt = renew(locked)
        except InvalidGrant as exc:
            error_text = str(exc)
        else:
            locked.addresses = {**locked.addresses, **learnt}
            locked.access_token = tokens.access_token
            locked.refresh_token = tokens.refresh_token or locked.refresh_token
            locked.access_expires_at = tokens.access_expires_at
            locked.refresh_expires_at = tokens.refresh_expires_at or locked.refresh_expires_at
            locked.tokens_refreshed_at = timezone.now()
            if (
                locked.status == Connection.Status.ERROR
                and not locked.error_source
                and not locked.settings.get("choices")
            ):
                locked.status = Connection.Status.ACTIVE
            locked.save(
                update_fields=[
                    "access_token",
                    "refresh_token",
                    "access_expires_at",
                    "refresh_expires_at",
                    "tokens_refreshed_at",
                    "addresses",
                    "status",
                    "updated_at",
                ]
            )
            audit.record(
                "token.refreshed",
                tenant=locked.tenant,
                connection=locked,
                message=f"Refreshed the {locked.provider_name} access token ({reason or 'scheduled'}).",
                data={"expires_at": str(tokens.access_expires_at)},
            )
            failures.clear(locked.pk, failures.TOKEN_REFRESH)
            copy_tokens(locked, connection)
            return locked.access_token
    # invalid_grant: a sibling may have rotated the token between our read and our lock; look once more.
    fresh = Connection.objects.get(pk=connection.pk)
    if used_refresh_token and fresh.refresh_token != used_refresh_token and fresh.access_token:
        copy_tokens(fresh, connection)
        return fresh.access_token
    error = mark_needs_reauth(fresh, error_text)
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
            status=Connection.Status.NEEDS_REAUTH, last_error=message, updated_at=timezone.now()
        )
        audit.record(
            "connection.needs_reauth", tenant=connection.tenant, connection=connection, level="error", message=message
        )
    connection.status = Connection.Status.NEEDS_REAUTH
    connection.last_error = message
    return AuthExpired(message, provider=connection.provider)


def refresh_due_connections() -> int:
    """Scheduled: refresh tokens expiring within the margin, and every rotating refresh token once a day.

    Each connection on its own: one that fails is recorded on itself (`connections.failures`) and the others
    are still refreshed. Candidates are read without their secrets, so one that cannot be decrypted is found
    when its turn comes, not while every tenant's are loaded.
    """
    now = timezone.now()
    day_ago = now - timedelta(days=1)
    with scopes_disabled():
        candidates = list(
            Connection.objects.filter(status__in=[Connection.Status.ACTIVE, Connection.Status.ERROR])
            .exclude(refresh_token=None)
            .values_list("pk", "tenant_id", "access_expires_at", "tokens_refreshed_at")
        )
    count = 0
    for pk, tenant_id, expires, last in candidates:
        stale = expires is None or expires - margin() <= now
        if not stale and last is not None and last > day_ago:
            continue
        with scope(tenant=tenant_id):
            count += refresh_scheduled(pk)
    return count


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
