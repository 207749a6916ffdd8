"""Token lifecycle against the sandbox: refresh before expiry, on 401, once across processes, daily."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection as db_connection
from django.db import connections
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from audit.models import AuditEvent
from connections.credentials import tokens
from connections.models import Connection
from connections.providers import http
from connections.providers.errors import AuthExpired, RateLimited
from tests.helpers.sandboxes import freshbooks_connection


@pytest.fixture
def in_tenant_a(tenant_a):
    """Code under test runs in its tenant's scope, as requests and tasks do."""
    with scope(tenant=tenant_a):
        yield tenant_a


def token_calls(sandbox):
    return [e for e in sandbox["freshbooks"].journal.entries(kind="request") if e.url.endswith("/auth/oauth/token")]


def test_a_token_expiring_within_the_margin_is_refreshed_before_the_call(sandbox, tenant_a, in_tenant_a):
    connection = freshbooks_connection(sandbox, tenant_a, access_expires_at=timezone.now() + timedelta(minutes=5))
    old = connection.access_token
    http.call(connection, "GET", "/auth/api/v1/users/me")
    assert connection.access_token != old
    assert connection.access_expires_at > timezone.now() + timedelta(hours=11)
    assert len(token_calls(sandbox)) == 1


def test_a_token_well_before_expiry_is_used_as_is(sandbox, tenant_a, in_tenant_a):
    connection = freshbooks_connection(sandbox, tenant_a)
    http.call(connection, "GET", "/auth/api/v1/users/me")
    assert token_calls(sandbox) == []


def test_a_401_refreshes_once_and_retries_once(sandbox, tenant_a, in_tenant_a):
    connection = freshbooks_connection(sandbox, tenant_a)
    sandbox["freshbooks"].oauth.expire()
    result = http.call(connection, "GET", "/auth/api/v1/users/me")
    assert result.status == 200
    assert len(token_calls(sandbox)) == 1


def test_a_second_401_after_refreshing_is_auth_expired_not_a_loop(sandbox, tenant_a, in_tenant_a, monkeypatch):
    connection = freshbooks_connection(sandbox, tenant_a)
    emulator = sandbox["freshbooks"]
    monkeypatch.setattr(emulator.oauth, "authenticate", lambda value: (None, "expired"))
    with pytest.raises(AuthExpired):
        http.call(connection, "GET", "/auth/api/v1/users/me")
    assert len(token_calls(sandbox)) == 1


def test_a_reused_refresh_token_marks_the_connection_needs_reauth_once(sandbox, tenant_a, in_tenant_a):
    connection = freshbooks_connection(sandbox, tenant_a)
    sandbox["freshbooks"].oauth.refresh(connection.refresh_token, "sandbox-freshbooks-client")  # someone else used it
    with pytest.raises(AuthExpired, match="refused to renew access"):
        tokens.refresh(connection, stale_access_token=connection.access_token)
    connection.refresh_from_db()
    assert connection.status == "needs_reauth"
    with pytest.raises(AuthExpired, match="reconnected"):
        http.call(connection, "GET", "/auth/api/v1/users/me")
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="connection.needs_reauth", connection=connection).count() == 1


def test_a_caller_holding_a_stale_token_gets_the_siblings_new_one_without_a_call(sandbox, tenant_a, in_tenant_a):
    """A sibling refreshed after we read the row: under the lock we see it and use theirs."""
    connection = freshbooks_connection(sandbox, tenant_a)
    stale = connection.access_token
    with scopes_disabled():
        Connection.objects.filter(pk=connection.pk).update(
            access_token="sibling-access", refresh_token="sibling-refresh"
        )
    assert tokens.refresh(connection, stale_access_token=stale) == "sibling-access"
    assert token_calls(sandbox) == []


def test_the_schedule_refreshes_due_tokens_and_rotates_each_refresh_token_daily(sandbox, tenant_a):
    due = freshbooks_connection(sandbox, tenant_a, access_expires_at=timezone.now() + timedelta(minutes=1))
    fresh_today = freshbooks_connection(sandbox, tenant_a, tokens_refreshed_at=timezone.now() - timedelta(hours=2))
    stale_refresh = freshbooks_connection(sandbox, tenant_a, tokens_refreshed_at=timezone.now() - timedelta(days=2))
    assert tokens.refresh_due_connections() == 2
    for connection, changed in ((due, True), (fresh_today, False), (stale_refresh, True)):
        before = connection.refresh_token
        connection.refresh_from_db()
        assert (connection.refresh_token != before) is changed


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_call_the_provider_once_and_both_end_with_a_working_token(sandbox, monkeypatch):
    if db_connection.vendor != "postgresql":
        pytest.skip("needs a database with row locks and concurrent connections (runs in CI on PostgreSQL)")
    from tests.factories import TenantFactory

    tenant = TenantFactory()
    connection = freshbooks_connection(sandbox, tenant)
    stale = connection.access_token
    original = tokens.request_refresh
    barrier = threading.Barrier(2)
    real_calls = []

    def slow_refresh(locked):
        real_calls.append(locked.pk)
        threading.Event().wait(0.3)  # hold the lock long enough for the sibling to queue on it
        return original(locked)

    monkeypatch.setattr(tokens, "request_refresh", slow_refresh)
    results, errors = [], []

    def worker():
        try:
            with scope(tenant=tenant):
                mine = Connection.objects.get(pk=connection.pk)
                barrier.wait()
                results.append(tokens.refresh(mine, stale_access_token=stale))
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(real_calls) == 1
    assert len(token_calls(sandbox)) == 1
    assert results[0] == results[1] != stale
    with scopes_disabled():
        final = Connection.objects.get(pk=connection.pk)
    assert final.status == "active"
    assert http.call(final, "GET", "/auth/api/v1/users/me").status == 200


def test_no_secret_reaches_the_database_social_auth_logs_audit_api_or_pages(sandbox, client_a, tenant_a, caplog):
    from rest_framework.test import APIClient
    from social_django.models import UserSocialAuth

    from tests.helpers.connecting import connect_freshbooks

    caplog.set_level(logging.DEBUG)
    connection, _ = connect_freshbooks(client_a)
    sandbox["freshbooks"].oauth.expire()
    client_a.post(f"/connections/{connection.uuid}/test/")  # a 401, a refresh, a retry
    connection.refresh_from_db()
    emulator = sandbox["freshbooks"]
    secrets = {*emulator.oauth.access_tokens, *emulator.oauth.refresh_tokens, "sandbox-freshbooks-secret"}
    assert len(secrets) >= 5

    found = []
    with db_connection.cursor() as cursor:
        for table in db_connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from introspection
            dump = repr(cursor.fetchall())
            found += [(table, s[:6]) for s in secrets if s in dump]
    assert found == [], f"plaintext secrets in the database: {found}"
    assert not UserSocialAuth.objects.exists()
    assert not any(s in caplog.text for s in secrets)
    with scopes_disabled():
        audit_dump = repr(list(AuditEvent.objects.values("message", "data")))
    assert not any(s in audit_dump for s in secrets)
    api = APIClient()
    with scopes_disabled():
        api.force_authenticate(connection.tenant.memberships.first().user)
    api_text = api.get(f"/api/v1/connections/{connection.uuid}/").content.decode()
    pages = [client_a.get(p).content.decode() for p in ("/", "/connections/", f"/connections/{connection.uuid}/")]
    pages.append(client_a.get("/connections/00000000-0000-0000-0000-000000000000/").content.decode())
    for text in [api_text, *pages]:
        assert not any(s in text for s in secrets)


def test_a_token_endpoint_asking_to_slow_down_is_a_wait_not_a_reconnect(sandbox, tenant_a, in_tenant_a):
    connection = freshbooks_connection(sandbox, tenant_a)
    emulator = sandbox["freshbooks"]
    emulator.oauth.expire()
    emulator.faults.update({"rate_limit_seconds": 40, "retry_after": 40, "path_contains": "/oauth/token"}, 0)
    emulator.faults.rate_limited_until = sandbox.clock.now() + 40
    with pytest.raises(RateLimited) as raised:
        http.call(connection, "GET", "/auth/api/v1/users/me")
    assert raised.value.retry_after == 40
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE, "a 429 says nothing about the grant"
