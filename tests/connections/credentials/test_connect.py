"""Connecting FreshBooks and Zendesk through the full redirect flow, against the sandbox emulators."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django_scopes import scope, scopes_disabled
from social_django.models import UserSocialAuth

from audit.models import AuditEvent
from connections.models import Connection
from tests.helpers.connecting import calls, connect_freshbooks, consent, local, start


@pytest.fixture
def connected_freshbooks(sandbox, client_a):
    connection, _ = connect_freshbooks(client_a)
    return connection


def test_connecting_freshbooks_goes_through_consent_and_asks_which_business(sandbox, client_a, tenant_a, owner_a):
    authorize = start(client_a, "freshbooks")
    assert authorize.startswith("https://auth.freshbooks.com/oauth/authorize?")
    params = parse_qs(urlsplit(authorize).query)
    assert params["state"][0]
    assert params["redirect_uri"] == ["http://127.0.0.1:8000/oauth/complete/freshbooks/"]

    response = client_a.get(local(consent(authorize)))
    assert "/choose/" in response["Location"], "the sandbox user belongs to two businesses"
    page = client_a.get(response["Location"]).content.decode()
    assert "Sandbox Studio" in page and "Partner Works" in page

    response = client_a.post(response["Location"], {"account_id": "SbP9zt"})
    with scope(tenant=tenant_a):
        connection = Connection.objects.get(provider="freshbooks")
    assert connection.status == "active"
    assert connection.addresses == {"account_id": "SbP9zt", "business_id": 5100002}
    assert connection.access_token and connection.refresh_token
    assert connection.access_expires_at is not None
    assert response["Location"] == f"/connections/{connection.uuid}/"
    assert "_auth_user_id" in client_a.session and int(client_a.session["_auth_user_id"]) == owner_a.pk


def test_a_single_business_is_taken_without_asking(sandbox, client_a):
    sandbox["freshbooks"].config["businesses"] = sandbox["freshbooks"].config["businesses"][:1]
    connection, response = connect_freshbooks(client_a)
    assert "/choose/" not in response["Location"]
    assert connection.addresses["account_id"] == "SbX4kq"


def test_connecting_creates_no_user_and_keeps_nothing_in_social_auth(sandbox, client_a, django_user_model):
    users_before = django_user_model.objects.count()
    connect_freshbooks(client_a)
    assert django_user_model.objects.count() == users_before
    assert not UserSocialAuth.objects.exists()


def test_declining_consent_says_so_and_connects_nothing(sandbox, client_a):
    back = consent(start(client_a, "freshbooks"), decision="deny")
    response = client_a.get(local(back), follow=True)
    assert "You declined access in FreshBooks" in response.content.decode()
    with scopes_disabled():
        assert not Connection.objects.exists()


def test_a_cross_site_error_link_does_not_cancel_a_connect_in_progress(sandbox, client_a):
    """`?error=` without the state of a connect started here is ignored; the real answer still connects."""
    back = consent(start(client_a, "freshbooks"))
    page = client_a.get("/oauth/complete/freshbooks/?error=access_denied", follow=True).content.decode()
    assert "was ignored" in page
    assert "You declined access" not in page
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="connection.connect_answer_ignored").exists()
    client_a.get(local(back), follow=True)
    with scopes_disabled():
        assert Connection.objects.filter(provider="freshbooks").count() == 1


def test_a_forged_state_is_refused_with_its_own_message(sandbox, client_a):
    back = consent(start(client_a, "freshbooks"))
    forged = back.replace("state=", "state=x")
    response = client_a.get(local(forged), follow=True)
    assert "could not be matched to a connection started here" in response.content.decode()
    with scopes_disabled():
        assert not Connection.objects.exists()


def test_a_token_endpoint_error_is_explained(sandbox, client_a, settings):
    settings.OAUTH_APPS = {
        **settings.OAUTH_APPS,
        "freshbooks": {"client_id": "sandbox-freshbooks-client", "client_secret": "wrong"},
    }
    back = consent(start(client_a, "freshbooks"))
    page = client_a.get(local(back), follow=True).content.decode()
    assert "FreshBooks refused to issue a token" in page
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="connection.connect_failed").exists()


@pytest.mark.parametrize("subdomain", ["evil.com/x", "acme-", "-acme", "ac--"])
def test_zendesk_asks_for_the_subdomain_first_and_rejects_a_bad_one(sandbox, client_a, subdomain):
    """The form holds the subdomain to the rule every call's host is checked against (a trailing hyphen
    used to pass the form and then fail that check with a 500)."""
    for path in ("/connections/connect/zendesk/", "/connections/connect/zendesk/api-token/"):
        response = client_a.post(path, {"label": "Desk", "subdomain": subdomain})
        assert response.status_code == 200, path
        assert "Use only letters, digits and hyphens" in response.content.decode(), path


def test_connecting_zendesk_asks_for_an_expiring_token(sandbox, client_a, tenant_a):
    authorize = start(client_a, "zendesk", subdomain="acme")
    assert authorize.startswith("https://acme.zendesk.com/oauth/authorizations/new?")
    response = client_a.get(local(consent(authorize)))
    with scope(tenant=tenant_a):
        connection = Connection.objects.get(provider="zendesk")
    assert response["Location"] == f"/connections/{connection.uuid}/"
    assert connection.addresses == {"subdomain": "acme"}
    assert connection.access_expires_at is not None, "expires_in was asked for, so the expiry is known"
    token_requests = calls(sandbox["zendesk"], "/oauth/tokens")
    assert json.loads(token_requests[-1].body)["expires_in"] == 86400


def test_an_agent_cannot_connect_systems(sandbox, client, agent_a):
    client.force_login(agent_a)
    assert client.post("/connections/connect/freshbooks/", {"label": "x"}).status_code == 403


def test_test_connection_reports_what_was_checked(connected_freshbooks, client_a):
    page = client_a.post(f"/connections/{connected_freshbooks.uuid}/test/", follow=True).content.decode()
    assert "signed in as owner@sandbox.example for Sandbox Studio" in page
    connected_freshbooks.refresh_from_db()
    assert connected_freshbooks.last_ping_ok is True


def test_an_expired_access_token_is_refreshed_once_on_the_next_call(sandbox, connected_freshbooks, client_a):
    old_access, old_refresh = connected_freshbooks.access_token, connected_freshbooks.refresh_token
    sandbox["freshbooks"].oauth.expire()
    client_a.post(f"/connections/{connected_freshbooks.uuid}/test/")
    connected_freshbooks.refresh_from_db()
    assert connected_freshbooks.last_ping_ok is True
    assert connected_freshbooks.access_token != old_access
    assert connected_freshbooks.refresh_token != old_refresh
    refreshes = calls(sandbox["freshbooks"], "/auth/oauth/token")
    assert len(refreshes) == 2, "one code exchange, then exactly one refresh"


def test_a_revoked_refresh_token_sends_the_connection_to_needs_reauth_then_reconnect_fixes_it(
    sandbox, connected_freshbooks, client_a
):
    sandbox["freshbooks"].oauth.revoke()
    page = client_a.post(f"/connections/{connected_freshbooks.uuid}/test/", follow=True).content.decode()
    connected_freshbooks.refresh_from_db()
    assert connected_freshbooks.status == "needs_reauth"
    assert "needs to be reconnected" in page
    assert "needs to be reconnected" in client_a.get("/").content.decode()
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="connection.needs_reauth").count() == 1

    authorize = start(client_a, "freshbooks", reconnect=str(connected_freshbooks.uuid))
    response = client_a.get(local(consent(authorize)))
    if "/choose/" in response["Location"]:
        client_a.post(response["Location"], {"account_id": "SbX4kq"})
    connected_freshbooks.refresh_from_db()
    assert connected_freshbooks.status == "active"
    with scopes_disabled():
        assert Connection.objects.count() == 1


def test_disconnect_wipes_the_secrets_and_keeps_the_history(connected_freshbooks, client_a):
    client_a.post(f"/connections/{connected_freshbooks.uuid}/disconnect/")
    connected_freshbooks.refresh_from_db()
    assert connected_freshbooks.status == "disabled"
    assert not any(connected_freshbooks.has_secrets.values())
    with scopes_disabled():
        kinds = set(AuditEvent.objects.filter(connection=connected_freshbooks).values_list("kind", flat=True))
    assert {"connection.connected", "connection.disconnected"} <= kinds


@pytest.mark.parametrize("action", ["test", "disconnect", "choose"])
def test_another_tenants_connection_gives_404(client_a, connection_b, action):
    assert client_a.post(f"/connections/{connection_b.uuid}/{action}/").status_code == 404


@pytest.mark.parametrize("path", ["/connections/connect/freshbooks/", "/oauth/complete/freshbooks/"])
def test_anonymous_visitors_are_sent_to_login(client, db, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_api_tests_a_connection(connected_freshbooks, owner_a):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(owner_a)
    body = api.post(f"/api/v1/connections/{connected_freshbooks.uuid}/test/").json()
    assert body["ok"] is True
    assert "owner@sandbox.example" in body["message"]


def test_the_api_gives_404_when_testing_another_tenants_connection(owner_a, connection_b):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(owner_a)
    assert api.post(f"/api/v1/connections/{connection_b.uuid}/test/").status_code == 404


def test_reconnecting_another_tenants_connection_gives_404(sandbox, client_a, connection_b):
    response = client_a.get(f"/connections/connect/freshbooks/?reconnect={connection_b.uuid}")
    assert response.status_code == 404


def test_zendesk_api_token_is_legacy_stored_encrypted_and_pinged(sandbox, client_a, tenant_a):
    page = client_a.get("/connections/connect/zendesk/api-token/").content.decode()
    assert "Legacy" in page and "30 April 2027" in page
    token = sandbox["zendesk"].config["api_token"]
    response = client_a.post(
        "/connections/connect/zendesk/api-token/",
        {"label": "Desk", "subdomain": "acme", "email": "admin@acme.example.com", "api_token": token},
    )
    with scope(tenant=tenant_a):
        connection = Connection.objects.get(provider="zendesk")
    assert response["Location"] == f"/connections/{connection.uuid}/"
    assert connection.api_token == token
    assert connection.last_ping_ok is True


def test_a_wrong_zendesk_api_token_fails_the_ping_in_plain_words(sandbox, client_a, tenant_a):
    client_a.post(
        "/connections/connect/zendesk/api-token/",
        {"label": "Desk", "subdomain": "acme", "email": "admin@acme.example", "api_token": "wrong"},
    )
    with scope(tenant=tenant_a):
        connection = Connection.objects.get(provider="zendesk")
    assert connection.last_ping_ok is False
    page = client_a.get(f"/connections/{connection.uuid}/").content.decode()
    assert "credentials were not accepted" in page or "could not be reached" in page


def test_disconnecting_zendesk_revokes_the_oauth_token_at_zendesk(sandbox, client_a, tenant_a):
    client_a.get(local(consent(start(client_a, "zendesk", subdomain="acme"))))
    with scope(tenant=tenant_a):
        connection = Connection.objects.get(provider="zendesk")
    token = connection.access_token
    client_a.post(f"/connections/{connection.uuid}/disconnect/")
    revokes = [e for e in sandbox["zendesk"].journal.entries(kind="request") if e.method == "DELETE"]
    assert len(revokes) == 1 and revokes[0].status in (200, 204)
    me = requests.get(
        "https://acme.zendesk.com/api/v2/users/me.json", headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert me.status_code == 401 or not (me.json().get("user") or {}).get("id")


def test_a_revoke_the_provider_refuses_is_said_on_the_page_and_in_the_audit_trail(sandbox, client_a, tenant_a):
    """The secrets go whatever the provider answers, but a refusal used to be swallowed without a trace."""
    client_a.get(local(consent(start(client_a, "zendesk", subdomain="acme"))))
    with scope(tenant=tenant_a):
        connection = Connection.objects.get(provider="zendesk")
    sandbox["zendesk"].faults.update({"error_rate": 1, "error_status": 503}, sandbox.clock.now())
    page = client_a.post(f"/connections/{connection.uuid}/disconnect/", follow=True).content.decode()
    sandbox["zendesk"].faults.update({"error_rate": 0}, sandbox.clock.now())
    assert "did not revoke the access token" in page
    with scope(tenant=tenant_a):
        connection.refresh_from_db()
        assert connection.access_token is None and connection.status == Connection.Status.DISABLED
        event = AuditEvent.objects.get(kind="connection.disconnected", connection=connection)
    assert event.level == "warning" and "did not revoke" in event.message and event.data["problems"]


def test_switching_workspace_during_consent_connects_nothing(sandbox, client, owner_a, tenant_a, tenant_b):
    from connections.models import Membership
    from tests.factories import MembershipFactory

    with scopes_disabled():
        MembershipFactory(tenant=tenant_b, user=owner_a, role=Membership.Role.OWNER)
    client.force_login(owner_a)
    back = consent(start(client, "freshbooks"))
    client.post("/workspace/switch/", {"tenant": str(tenant_b.uuid)})
    page = client.get(local(back), follow=True).content.decode()
    assert "You switched workspace while connecting" in page
    with scopes_disabled():
        assert not Connection.objects.exists()


def test_a_disconnect_waits_on_the_provider_no_longer_than_the_page_budget(sandbox, client_a, tenant_a, settings):
    """Each call's timeouts shrink to what is left of one budget for the page, well under the web worker's."""
    from connections.providers import session as sessions

    settings.PROVIDER_PAGE_BUDGET_SECONDS = 4
    client_a.get(local(consent(start(client_a, "zendesk", subdomain="acme"))))
    with scope(tenant=tenant_a):
        connection = Connection.objects.get(provider="zendesk")
    asked, real = [], sessions.session().request

    def recording(*args, timeout=None, **kwargs):
        asked.append(timeout)
        return real(*args, timeout=timeout, **kwargs)

    sessions.session().request = recording
    try:
        client_a.post(f"/connections/{connection.uuid}/disconnect/")
    finally:
        del sessions.session().request
    assert asked and all(read <= 4 for _, read in asked), asked
