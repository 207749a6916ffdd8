"""A refresh is claimed, not locked: no transaction is open while the provider answers, and an answer lost after
the provider rotated the refresh token is not taken for a refusal."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection as db_connection
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from audit.models import AuditEvent
from connections.credentials import tokens
from connections.models import Connection
from connections.providers import http
from connections.providers.errors import AuthExpired, Retryable
from connections.providers.salesforce import client as salesforce
from tests.factories import TenantFactory
from tests.helpers.sandboxes import freshbooks_connection, salesforce_connection

USERS_ME = "/auth/api/v1/users/me"


def token_calls(sandbox):
    return [e for e in sandbox["freshbooks"].journal.entries(kind="request") if e.url.endswith("/auth/oauth/token")]


def row(connection):
    with scopes_disabled():
        return Connection.objects.get(pk=connection.pk)


def reauth_events(connection):
    with scopes_disabled():
        return AuditEvent.objects.filter(kind="connection.needs_reauth", connection_id=connection.pk).count()


def while_the_provider_answers(monkeypatch, emulator, action, *, after=False):
    """Run `action` inside the emulator's refresh grant, before it rotates the token (or just after)."""
    real = emulator.oauth.refresh

    def refresh(*args, **kwargs):
        if not after:
            action()
        answer = real(*args, **kwargs)
        if after:
            action()
        return answer

    monkeypatch.setattr(emulator.oauth, "refresh", refresh)


@pytest.mark.django_db(transaction=True)
def test_no_transaction_is_open_in_the_app_while_a_provider_issues_a_token(sandbox, monkeypatch):
    """Nothing then holds a row lock (PostgreSQL) or SQLite's write lock: other writers never wait on the call."""
    tenant = TenantFactory()
    books = freshbooks_connection(sandbox, tenant, access_expires_at=timezone.now() + timedelta(minutes=1))
    org = salesforce_connection(sandbox, tenant)
    seen = []
    while_the_provider_answers(monkeypatch, sandbox["freshbooks"], lambda: seen.append(db_connection.in_atomic_block))
    real_mint = sandbox["salesforce"]._mint

    def mint(*args, **kwargs):
        seen.append(db_connection.in_atomic_block)
        return real_mint(*args, **kwargs)

    monkeypatch.setattr(sandbox["salesforce"], "_mint", mint)
    with scope(tenant=tenant):
        http.call(books, "GET", USERS_ME)  # renewed before expiry
        sandbox["freshbooks"].oauth.expire()
        http.call(books, "GET", USERS_ME)  # renewed on a 401
        salesforce.call(org, "GET", "/limits")  # a first token minted
    with scopes_disabled():
        Connection.objects.filter(pk=books.pk).update(tokens_refreshed_at=timezone.now() - timedelta(days=2))
    assert tokens.refresh_due_connections() == 1  # the schedule's daily rotation
    assert len(seen) >= 4
    assert seen == [False] * len(seen)


def test_an_answer_lost_after_the_provider_rotated_is_not_taken_for_a_refusal(sandbox, tenant_a):
    """FreshBooks' refresh tokens work once, with no grace window: the lost answer held the only live one."""
    connection = freshbooks_connection(sandbox, tenant_a)
    stale = connection.access_token
    sandbox["freshbooks"].faults.update({"lost_answers": 1, "path_contains": "/auth/oauth/token"}, 0)
    with scope(tenant=tenant_a):
        with pytest.raises(Retryable, match="no answer"):
            tokens.refresh(connection, stale_access_token=stale)
        assert token_calls(sandbox)[-1].note == "fault: answer lost after HTTP 200"
        lost = row(connection)
        assert lost.status == "active" and lost.refresh_lost_at is not None and not lost.refresh_claim

        with pytest.raises(Retryable, match="after the answer to an earlier refresh was lost"):
            tokens.refresh(connection, stale_access_token=stale)  # refused: the first refusal is doubted
        doubted = row(connection)
        assert doubted.status == "error" and "tried again" in doubted.last_error
        assert reauth_events(connection) == 0

        with pytest.raises(AuthExpired):
            tokens.refresh(connection, stale_access_token=stale)  # refused again, nothing lost before it
    assert row(connection).status == "needs_reauth" and reauth_events(connection) == 1


def test_an_answer_that_arrives_after_its_claim_lapsed_is_kept(sandbox, tenant_a, clock, monkeypatch):
    """A stalled worker's claim lapses and a sibling takes over with the spent token: the sibling is refused,
    does not mark the connection, and the stalled worker's answer, the only live pair, is stored."""
    connection = freshbooks_connection(sandbox, tenant_a)
    stale = connection.access_token
    sibling_saw = []

    def sibling_takes_over():
        clock.advance(settings.TOKEN_REFRESH_CLAIM_SECONDS + 1)
        with scopes_disabled():
            sibling = Connection.objects.get(pk=connection.pk)
        try:
            tokens.refresh(sibling, stale_access_token=stale)
        except Exception as exc:
            sibling_saw.append(exc)

    while_the_provider_answers(monkeypatch, sandbox["freshbooks"], sibling_takes_over, after=True)
    with scope(tenant=tenant_a):
        token = tokens.refresh(connection, stale_access_token=stale)
        [refusal] = sibling_saw
        assert isinstance(refusal, Retryable) and not isinstance(refusal, AuthExpired)
        assert len(token_calls(sandbox)) == 2, "the stalled worker's call, then the sibling's"
        stored = row(connection)
        assert stored.access_token == token != stale
        assert stored.status == "active" and not stored.refresh_claim and stored.refresh_lost_at is None
        assert reauth_events(connection) == 0
        assert http.call(stored, "GET", USERS_ME).status == 200


def test_a_stalled_answer_stored_after_the_sibling_gave_up_makes_the_connection_active_again(
    sandbox, tenant_a, clock, monkeypatch
):
    connection = freshbooks_connection(sandbox, tenant_a)
    stale = connection.access_token
    sibling_saw = []

    def sibling_tries_twice():
        clock.advance(settings.TOKEN_REFRESH_CLAIM_SECONDS + 1)
        for _ in range(2):
            with scopes_disabled():
                sibling = Connection.objects.get(pk=connection.pk)
            try:
                tokens.refresh(sibling, stale_access_token=stale)
            except Exception as exc:
                sibling_saw.append(type(exc))

    while_the_provider_answers(monkeypatch, sandbox["freshbooks"], sibling_tries_twice, after=True)
    with scope(tenant=tenant_a):
        tokens.refresh(connection, stale_access_token=stale)
    assert sibling_saw == [Retryable, AuthExpired], "doubted once, then believed"
    stored = row(connection)
    assert stored.status == "active" and stored.last_error == ""
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="connection.recovered", connection_id=connection.pk).exists()
    with scope(tenant=tenant_a):
        assert http.call(stored, "GET", USERS_ME).status == 200


def test_while_a_refresh_is_in_flight_others_use_the_valid_token_or_wait_without_calling(
    sandbox, tenant_a, monkeypatch
):
    connection = freshbooks_connection(sandbox, tenant_a, access_expires_at=timezone.now() + timedelta(minutes=5))
    current = connection.access_token
    pauses, outcomes = [], {}
    monkeypatch.setattr(tokens, "pause", pauses.append, raising=False)

    def others_meanwhile():
        with scopes_disabled():
            soon = Connection.objects.get(pk=connection.pk)
            refused = Connection.objects.get(pk=connection.pk)
        outcomes["soon"] = tokens.access_token_for(soon)  # expires soon, still valid
        try:
            tokens.refresh(refused, stale_access_token=current)  # the provider said 401 to it
        except Retryable as exc:
            outcomes["refused"] = exc

    while_the_provider_answers(monkeypatch, sandbox["freshbooks"], others_meanwhile)
    with scope(tenant=tenant_a):
        renewed = tokens.access_token_for(connection)
    assert outcomes["soon"] == current
    assert "Another worker is renewing" in str(outcomes["refused"])
    assert len(pauses) == tokens.WAIT_STEPS - 1, "it polled the row, then gave up for now"
    assert len(token_calls(sandbox)) == 1
    assert renewed != current and row(connection).access_token == renewed


def test_a_claim_left_by_a_killed_worker_lapses_and_its_loss_is_remembered(sandbox, tenant_a, clock):
    connection = freshbooks_connection(sandbox, tenant_a)
    with scopes_disabled():
        Connection.objects.filter(pk=connection.pk).update(refresh_claim="killed", refresh_started_at=timezone.now())
    with scope(tenant=tenant_a):
        clock.advance(settings.TOKEN_REFRESH_CLAIM_SECONDS - 1)
        assert tokens.access_token_for(connection) == connection.access_token  # in flight, the token still works
        assert token_calls(sandbox) == []
        clock.advance(2)
        sandbox["freshbooks"].oauth.refresh(connection.refresh_token, "sandbox-freshbooks-client")  # it did rotate
        with pytest.raises(Retryable, match="was lost"):
            tokens.refresh(connection, stale_access_token=connection.access_token)
    assert row(connection).status == "error" and reauth_events(connection) == 0


def test_a_connection_saved_from_an_earlier_read_keeps_a_refresh_claim_taken_since(sandbox, tenant_a):
    """A page's save writes every column of what it read: not the claim, or a second refresh could start."""
    connection = freshbooks_connection(sandbox, tenant_a)
    with scopes_disabled():
        read_earlier = Connection.objects.get(pk=connection.pk)
        Connection.objects.filter(pk=read_earlier.pk).update(refresh_claim="worker-2")
    read_earlier.label = "Renamed"
    read_earlier.save()
    with scopes_disabled():
        saved = Connection.objects.get(pk=read_earlier.pk)
    assert (saved.label, saved.refresh_claim) == ("Renamed", "worker-2")


def test_a_claim_outlives_the_longest_provider_call():
    assert settings.TOKEN_REFRESH_CLAIM_SECONDS > settings.PROVIDER_CONNECT_TIMEOUT + settings.PROVIDER_READ_TIMEOUT
