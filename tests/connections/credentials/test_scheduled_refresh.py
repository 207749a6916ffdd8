"""The scheduled refresh goes through every tenant's connections: one that fails is marked, the rest still renew."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone
from django_scopes import scopes_disabled

from audit.models import AuditEvent
from connections.credentials import tokens
from connections.models import Connection
from syncs.operating import overview
from tests.factories import TenantFactory
from tests.helpers.sandboxes import freshbooks_connection


def due_connection(sandbox, tenant, label):
    return freshbooks_connection(sandbox, tenant, label=label, access_expires_at=timezone.now() + timedelta(minutes=1))


def encrypted_with_another_key(connection, settings):
    """Its refresh token as a row looks after FIELD_ENCRYPTION_KEY lost the key that wrote it."""
    keys = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    with scopes_disabled():
        Connection.objects.filter(pk=connection.pk).update(refresh_token="written-with-a-key-since-removed")
    settings.FIELD_ENCRYPTION_KEY = keys


def plain(connection):
    with scopes_disabled():
        return Connection.objects.filter(pk=connection.pk).values("status", "last_error", "error_source").get()


def failed_events(connection):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(kind="connection.failed", connection_id=connection.pk))


@pytest.fixture
def two_tenants(sandbox, db):
    """The broken connection first, so a loop that stops at it would never reach the healthy one."""
    broken = due_connection(sandbox, TenantFactory(name="Broken Ltd"), "Broken books")
    healthy = due_connection(sandbox, TenantFactory(name="Healthy Ltd"), "Healthy books")
    return broken, healthy


def test_a_secret_no_key_decrypts_marks_its_connection_and_the_others_still_renew(sandbox, two_tenants, settings):
    broken, healthy = two_tenants
    encrypted_with_another_key(broken, settings)
    before = healthy.refresh_token

    assert tokens.refresh_due_connections() == 1

    healthy.refresh_from_db()
    assert healthy.refresh_token != before and healthy.status == "active"
    marked = plain(broken)
    assert marked["status"] == "error" and marked["error_source"] == "token_refresh"
    assert "FIELD_ENCRYPTION_KEY" in marked["last_error"] and "Connection.refresh_token" in marked["last_error"]
    [event] = failed_events(broken)
    assert event.level == "error" and "FIELD_ENCRYPTION_KEY" in event.message


def test_the_mark_is_audited_once_and_shown_as_an_alert(sandbox, two_tenants, settings):
    broken, _ = two_tenants
    encrypted_with_another_key(broken, settings)
    tokens.refresh_due_connections()
    tokens.refresh_due_connections()  # the next run fails the same way: nothing new to say
    assert len(failed_events(broken)) == 1
    with scopes_disabled():
        [alert] = overview.alerts(broken.tenant, [])
    assert alert["level"] == "error" and "FIELD_ENCRYPTION_KEY" in alert["text"]
    assert alert["link"] == f"/connections/{broken.uuid}/"


def test_an_unexpected_error_from_one_providers_answer_marks_that_connection_only(sandbox, two_tenants, monkeypatch):
    broken, healthy = two_tenants
    real = tokens.request_refresh

    def answer(connection):
        if connection.pk == broken.pk:
            raise KeyError("expires_in")  # an answer of a shape the code did not expect
        return real(connection)

    monkeypatch.setattr(tokens, "request_refresh", answer)
    before = healthy.refresh_token

    assert tokens.refresh_due_connections() == 1

    healthy.refresh_from_db()
    assert healthy.refresh_token != before
    marked = plain(broken)
    assert marked["status"] == "error" and "KeyError" in marked["last_error"]
    assert len(failed_events(broken)) == 1


def test_the_next_successful_refresh_clears_the_mark(sandbox, two_tenants, monkeypatch):
    broken, _ = two_tenants
    real = tokens.request_refresh
    monkeypatch.setattr(tokens, "request_refresh", lambda connection: {}["boom"])
    tokens.refresh_due_connections()
    assert plain(broken)["status"] == "error"

    monkeypatch.setattr(tokens, "request_refresh", real)
    assert tokens.refresh_due_connections() == 2
    assert plain(broken) == {"status": "active", "last_error": "", "error_source": ""}
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="connection.recovered", connection_id=broken.pk).count() == 1


def test_the_failing_connection_is_named_on_the_dashboard_and_the_connections_page(
    sandbox, client_a, tenant_a, monkeypatch
):
    connection = due_connection(sandbox, tenant_a, "Acme books")
    monkeypatch.setattr(tokens, "request_refresh", lambda connection: {}["expires_in"])
    tokens.refresh_due_connections()
    for page in ("/", "/connections/", f"/connections/{connection.uuid}/"):
        text = client_a.get(page).content.decode()
        assert "Renewing access failed unexpectedly (KeyError)" in text, page


def test_the_schedule_hands_each_connection_to_a_task_of_its_own(sandbox, two_tenants, monkeypatch):
    """One task for every tenant's refresh could outlive django-q2's timeout, which kills it for good."""
    from connections import tasks
    from syncs.engine import jobs

    queued = []
    monkeypatch.setattr(jobs, "queue_task", lambda *args: queued.append(args) or True)
    before = len(sandbox["freshbooks"].journal.entries(kind="request"))
    assert tasks.refresh_tokens() == 2
    assert len(sandbox["freshbooks"].journal.entries(kind="request")) == before, "nothing refreshed in the round"
    assert sorted(queued) == sorted(("connections.tasks.refresh_connection", c.pk) for c in two_tenants)
    _, healthy = two_tenants
    before = healthy.refresh_token
    assert tasks.refresh_connection(healthy.pk) is True
    healthy.refresh_from_db()
    assert healthy.refresh_token != before
