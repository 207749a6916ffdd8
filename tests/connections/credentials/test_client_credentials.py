"""Client-credentials connections (Salesforce): connected by a form that proves the credentials, renewed by
minting again on a 401, once across workers, and never parked as needs_reauth for an expired session."""

import threading

import pytest
from django.db import connection as db_connection
from django.db import connections
from django_scopes import scope, scopes_disabled

from audit.models import AuditEvent
from connections.credentials import client_credentials, tokens
from connections.models import Connection
from connections.providers.errors import AuthExpired
from connections.providers.salesforce import client as salesforce
from tests.factories import ConnectionFactory
from tests.helpers.sandboxes import salesforce_connection

FORM = {
    "label": "Acme Salesforce",
    "my_domain": "https://acme.my.salesforce.com/lightning/setup/",
    "client_id": "sandbox-salesforce-client",
    "client_secret": "sandbox-salesforce-secret",
}


def mints(sandbox):
    return sandbox["salesforce"].state["tokens_minted"]


@pytest.fixture
def fbsf_journey(sandbox, tenant_a, clock, django_capture_on_commit_callbacks):
    """Connect Salesforce by its form, sync an invoice, let the session expire, replay, disconnect."""

    def journey(client):
        from connections.credentials.views import disconnect
        from connections.models import Integration
        from syncs import engine
        from syncs.models import SyncJob
        from tests.helpers.billing import fb_client, fb_invoice
        from tests.helpers.sandboxes import drain, freshbooks_connection

        client.post("/connections/connect/salesforce/", FORM)
        with scope(tenant=tenant_a):
            connection = Connection.objects.get(provider="salesforce")
            source = freshbooks_connection(sandbox, tenant_a)
            integration = Integration.objects.create(
                tenant=tenant_a, kind="freshbooks_salesforce", source=source, target=connection, enabled=True
            )
            invoice = fb_invoice(sandbox, fb_client(sandbox, "Acme Corp"), "100.00")
            job = engine.new_job(integration, "invoice", str(invoice["id"]), SyncJob.Trigger.MANUAL, wake=False)
            sandbox["salesforce"].oauth.expire()
            engine.run(job.pk)
            engine.replay(SyncJob.objects.get(pk=job.pk))
            drain(clock)
            client.post(f"/connections/{connection.uuid}/test/")
            connection.refresh_from_db()
            disconnect(connection, tenant_a.memberships.first().user)
            return connection, integration

    return journey


@pytest.fixture
def in_tenant_a(tenant_a):
    with scope(tenant=tenant_a):
        yield tenant_a


def test_the_connect_form_mints_pings_and_saves_a_working_connection(sandbox, client_a, tenant_a):
    response = client_a.post("/connections/connect/salesforce/", FORM)
    with scope(tenant=tenant_a):
        connection = Connection.objects.get(provider="salesforce")
    assert response.status_code == 302 and response["Location"] == f"/connections/{connection.uuid}/"
    assert connection.status == "active" and connection.last_ping_ok is True
    assert connection.addresses == {"my_domain": "acme", "edition": "production"}
    assert connection.settings["client_id"] == "sandbox-salesforce-client"
    assert connection.client_secret == "sandbox-salesforce-secret" and connection.access_token
    assert connection.refresh_token is None and connection.access_expires_at is None
    assert mints(sandbox) == 1


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("https://acme.lightning.force.com", "address of the Salesforce screens"),
        ("login.salesforce.com", "shared by every org"),
        ("https://acme.example.com", "My Domain URL"),
    ],
)
def test_an_address_that_is_not_a_my_domain_is_refused_with_what_to_type(sandbox, client_a, tenant_a, typed, words):
    response = client_a.post("/connections/connect/salesforce/", {**FORM, "my_domain": typed})
    assert response.status_code == 200 and words in response.content.decode()
    with scope(tenant=tenant_a):
        assert not Connection.objects.filter(provider="salesforce").exists()
    assert mints(sandbox) == 0, "nothing was called"


def test_refused_credentials_save_nothing_and_say_why_in_the_page_and_the_audit_log(sandbox, client_a, tenant_a):
    response = client_a.post("/connections/connect/salesforce/", {**FORM, "client_secret": "wrong"})
    page = response.content.decode()
    assert response.status_code == 200 and "refused these credentials" in page and "invalid_client" in page
    with scope(tenant=tenant_a):
        assert not Connection.objects.filter(provider="salesforce").exists()
        event = AuditEvent.objects.get(kind="connection.connect_failed")
    assert "invalid_client" in event.message and "wrong" not in str(event.data)


def test_an_instance_address_outside_the_my_domain_forms_is_never_called(sandbox, client_a, tenant_a, monkeypatch):
    from connections.credentials import token_endpoint

    real_post = token_endpoint.post

    def evil(*args, **kwargs):
        body = real_post(*args, **kwargs)
        return {**body, "instance_url": "https://attacker.example.com"}

    monkeypatch.setattr(token_endpoint, "post", evil)
    response = client_a.post("/connections/connect/salesforce/", FORM)
    assert "not a My Domain address" in response.content.decode()
    with scope(tenant=tenant_a):
        assert not Connection.objects.filter(provider="salesforce").exists()
    assert not [e for e in sandbox["salesforce"].journal.entries(kind="request") if "/services/data" in e.url]


def test_reconnecting_replaces_the_credentials_only_with_ones_that_work(sandbox, client_a, tenant_a):
    connection = salesforce_connection(sandbox, tenant_a)
    with scopes_disabled():
        Connection.objects.filter(pk=connection.pk).update(status="needs_reauth", last_error="refused")
    url = f"/connections/connect/salesforce/?reconnect={connection.uuid}"
    assert "Reconnect Salesforce" in client_a.get(url).content.decode()
    client_a.post(url, {**FORM, "reconnect": str(connection.uuid), "client_secret": "wrong"})
    connection.refresh_from_db()
    assert connection.status == "needs_reauth" and connection.client_secret == "sandbox-salesforce-secret"
    client_a.post(url, {**FORM, "reconnect": str(connection.uuid)})
    connection.refresh_from_db()
    assert connection.status == "active" and connection.last_error == ""
    with scope(tenant=tenant_a):
        assert Connection.objects.filter(provider="salesforce").count() == 1


def test_another_tenants_connection_cannot_be_reconnected(sandbox, client_a, tenant_b):
    theirs = salesforce_connection(sandbox, tenant_b)
    response = client_a.get(f"/connections/connect/salesforce/?reconnect={theirs.uuid}")
    assert response.status_code == 404
    response = client_a.post("/connections/connect/salesforce/", {**FORM, "reconnect": str(theirs.uuid)})
    assert response.status_code == 404


def test_a_401_mints_once_and_retries_the_call_once(sandbox, tenant_a, in_tenant_a):
    connection = salesforce_connection(sandbox, tenant_a)
    salesforce.call(connection, "GET", "/limits")
    first = connection.access_token
    sandbox["salesforce"].oauth.expire()
    assert salesforce.call(connection, "GET", "/limits").status == 200
    connection.refresh_from_db()
    assert connection.access_token != first and mints(sandbox) == 2
    assert connection.status == "active"
    assert AuditEvent.objects.filter(kind="token.refreshed", connection=connection).count() == 2


def test_credentials_the_org_no_longer_accepts_park_the_connection_with_an_alert(sandbox, tenant_a, in_tenant_a):
    connection = salesforce_connection(sandbox, tenant_a)
    salesforce.call(connection, "GET", "/limits")
    sandbox["salesforce"].oauth.register_client("sandbox-salesforce-client", "rotated")  # rotated in Salesforce
    sandbox["salesforce"].oauth.expire()
    with pytest.raises(AuthExpired):
        salesforce.call(connection, "GET", "/limits")
    connection.refresh_from_db()
    assert connection.status == "needs_reauth" and "invalid" in connection.last_error


def test_renewal_needs_the_stored_credentials(tenant_a, in_tenant_a):
    with scopes_disabled():
        connection = ConnectionFactory(
            tenant=tenant_a,
            provider="salesforce",
            addresses={"my_domain": "acme", "edition": "production"},
            settings={"auth": "client_credentials"},
            access_token="old",
            client_secret=None,
        )
    with pytest.raises(AuthExpired):
        tokens.refresh(connection, stale_access_token="old")
    connection.refresh_from_db()
    assert connection.status == "needs_reauth" and "no client credentials" in connection.last_error


def test_the_token_answers_instance_is_checked_on_every_renewal(sandbox, tenant_a, in_tenant_a):
    connection = salesforce_connection(sandbox, tenant_a)
    token, learnt = client_credentials.mint(connection)
    assert learnt == {"my_domain": "acme", "edition": "production"} and token.access_expires_at is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_hitting_an_expired_session_at_once_mint_one_token(sandbox, monkeypatch):
    if db_connection.vendor != "postgresql":
        pytest.skip("needs a database with row locks and concurrent connections (runs in CI on PostgreSQL)")
    from tests.factories import TenantFactory

    tenant = TenantFactory()
    connection = salesforce_connection(sandbox, tenant)
    with scope(tenant=tenant):
        salesforce.call(connection, "GET", "/limits")
    stale = connection.access_token
    sandbox["salesforce"].oauth.expire()
    original = client_credentials.mint
    barrier = threading.Barrier(2)

    def slow_mint(locked):
        threading.Event().wait(0.3)  # hold the row lock long enough for the sibling to queue on it
        return original(locked)

    monkeypatch.setattr(client_credentials, "mint", slow_mint)
    results, errors = [], []

    def worker():
        try:
            with scope(tenant=tenant):
                mine = Connection.objects.get(pk=connection.pk)
                barrier.wait()
                assert salesforce.call(mine, "GET", "/limits").status == 200
                results.append(mine.access_token)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert errors == []
    assert mints(sandbox) == 2, "the first token, then exactly one re-mint for both workers"
    assert results[0] == results[1] != stale
    with scopes_disabled():
        assert Connection.objects.get(pk=connection.pk).status == "active"


def test_no_salesforce_secret_reaches_the_database_logs_audit_api_or_pages_over_a_whole_journey(
    sandbox, client_a, tenant_a, caplog, fbsf_journey
):
    import logging

    from rest_framework.test import APIClient

    caplog.set_level(logging.DEBUG)
    connection, integration = fbsf_journey(client_a)
    emulator = sandbox["salesforce"]
    secrets = {"sandbox-salesforce-secret", *emulator.oauth.access_tokens}
    assert len(secrets) >= 3, "the first token and at least one re-mint"
    assert connection.status == "disabled" and connection.client_secret is None and connection.access_token is None
    assert [e for e in emulator.journal.entries(kind="request") if e.url.endswith("/services/oauth2/revoke")]

    found = []
    with db_connection.cursor() as cursor:
        for table in db_connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names come from introspection
            dump = repr(cursor.fetchall())
            found += [(table, s[:6]) for s in secrets if s in dump]
    assert found == [], f"plaintext secrets in the database: {found}"
    assert not any(s in caplog.text for s in secrets)
    with scopes_disabled():
        audit_dump = repr(list(AuditEvent.objects.values("message", "data")))
    assert not any(s in audit_dump for s in secrets)
    api = APIClient()
    with scopes_disabled():
        api.force_authenticate(connection.tenant.memberships.first().user)
    texts = [api.get(f"/api/v1/connections/{connection.uuid}/").content.decode()]
    texts += [client_a.get(p).content.decode() for p in ("/", "/connections/", f"/connections/{connection.uuid}/")]
    texts += [client_a.get(f"/integrations/{integration.uuid}/").content.decode()]
    texts += [client_a.get("/connections/connect/salesforce/").content.decode()]
    for text in texts:
        assert not any(s in text for s in secrets)


def test_a_token_that_says_when_it_expires_is_minted_again_shortly_before(sandbox, tenant_a, in_tenant_a):
    from datetime import timedelta

    from django.utils import timezone

    connection = salesforce_connection(sandbox, tenant_a)
    salesforce.call(connection, "GET", "/limits")
    Connection.objects.filter(pk=connection.pk).update(access_expires_at=timezone.now() + timedelta(minutes=5))
    connection.refresh_from_db()
    salesforce.call(connection, "GET", "/limits")
    assert mints(sandbox) == 2, "within the margin: minted before the call, not after a 401"
