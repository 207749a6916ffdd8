"""Integration pages: owners and admins create, enable and configure an integration; agents only look."""

from datetime import timedelta
from unittest import mock

import pytest
from django_scopes import scopes_disabled

from audit.models import AuditEvent
from connections.models import Integration
from syncs.flows.freshbooks_zendesk import SLUG
from tests.factories import ConnectionFactory, IntegrationFactory, MembershipFactory


@pytest.fixture
def pair(tenant_a):
    with scopes_disabled():
        source = ConnectionFactory(tenant=tenant_a, provider="freshbooks", label="Books")
        target = ConnectionFactory(tenant=tenant_a, provider="zendesk", label="Support")
    return source, target


@pytest.fixture
def billing(tenant_a, pair):
    with scopes_disabled():
        return IntegrationFactory(tenant=tenant_a, kind=SLUG, source=pair[0], target=pair[1])


def test_an_owner_creates_an_integration_switched_off(client_a, pair):
    source, target = pair
    response = client_a.post("/integrations/", {"kind": SLUG, "source": source.uuid, "target": target.uuid})
    with scopes_disabled():
        integration = Integration.objects.get(kind=SLUG)
        assert not integration.enabled
        assert AuditEvent.objects.filter(kind="integration.created", integration=integration).exists()
    assert response.status_code == 302 and str(integration.uuid) in response["Location"]


def test_the_wrong_direction_or_another_tenants_connection_is_refused(client_a, pair, connection_b):
    source, target = pair
    page = client_a.post("/integrations/", {"kind": SLUG, "source": target.uuid, "target": source.uuid}, follow=True)
    assert "reads from a freshbooks connection" in page.content.decode()
    page = client_a.post(
        "/integrations/", {"kind": SLUG, "source": connection_b.uuid, "target": target.uuid}, follow=True
    )
    assert "Choose a source and a target" in page.content.decode()
    with scopes_disabled():
        assert not Integration.objects.filter(kind=SLUG).exists()


def test_enabling_starts_the_backfill_and_is_audited(client_a, billing):
    with mock.patch("syncs.polling.start_backfill") as backfill:
        client_a.post(f"/integrations/{billing.uuid}/", {"action": "enable"})
    billing.refresh_from_db()
    assert billing.enabled and backfill.call_count == 1
    client_a.post(f"/integrations/{billing.uuid}/", {"action": "disable"})
    billing.refresh_from_db()
    assert not billing.enabled
    with scopes_disabled():
        kinds = set(AuditEvent.objects.filter(integration=billing).values_list("kind", flat=True))
    assert {"integration.enabled", "integration.disabled"} <= kinds


def test_options_are_saved_checked_and_previewed(client_a, billing):
    page = client_a.get(f"/integrations/{billing.uuid}/").content.decode()
    assert "Invoices and payments" in page and "FreshBooks billing" in page and "Internal note on a new ticket" in page
    form = {"action": "options", "invoices": "on", "tickets": "on", "recent_invoices": "5", "summary_field": "details"}
    client_a.post(f"/integrations/{billing.uuid}/", {**form, "auto_link": "92", "review": "70"})
    billing.refresh_from_db()
    assert billing.options["recent_invoices"] == 5 and billing.options["expenses"] is False
    assert billing.options["summary_field"] == "details" and billing.options["auto_link"] == 92.0
    assert "Organization details" in client_a.get(f"/integrations/{billing.uuid}/").content.decode()
    page = client_a.post(
        f"/integrations/{billing.uuid}/", {**form, "auto_link": "50", "review": "70"}, follow=True
    ).content.decode()
    assert "at or below the automatic link score" in page
    billing.refresh_from_db()
    assert billing.options["auto_link"] == 92.0


def test_an_agent_sees_the_options_but_cannot_change_anything(client, tenant_a, billing):
    with scopes_disabled():
        agent = MembershipFactory(tenant=tenant_a, role="agent").user
    client.force_login(agent)
    assert client.get(f"/integrations/{billing.uuid}/").status_code == 200
    assert client.post(f"/integrations/{billing.uuid}/", {"action": "enable"}).status_code == 403
    assert client.post("/integrations/", {"kind": SLUG}).status_code == 403
    billing.refresh_from_db()
    assert not billing.enabled


def test_another_tenants_integration_is_a_404(client_a, tenant_b):
    with scopes_disabled():
        other = IntegrationFactory(tenant=tenant_b)
    assert client_a.post(f"/integrations/{other.uuid}/", {"action": "enable"}).status_code == 404


def test_the_polling_schedule_is_set_on_the_page_and_audited(client_a, billing):
    page = client_a.get(f"/integrations/{billing.uuid}/").content.decode()
    assert "Off: webhooks only" in page and "Every 15 minutes" in page
    client_a.post(f"/integrations/{billing.uuid}/", {"action": "polling", "poll_interval": "900"})
    billing.refresh_from_db()
    assert billing.poll_interval.total_seconds() == 900
    page = client_a.get(f"/integrations/{billing.uuid}/").content.decode()
    assert '<option value="900" selected>' in page
    client_a.post(f"/integrations/{billing.uuid}/", {"action": "polling", "poll_interval": ""})
    billing.refresh_from_db()
    assert billing.poll_interval is None
    with scopes_disabled():
        changes = AuditEvent.objects.filter(kind="integration.polling_changed", integration=billing)
        assert [event.data["poll_interval_seconds"] for event in changes.order_by("pk")] == [900, None]


def test_a_schedule_not_offered_is_refused_and_one_set_by_the_api_is_kept(client_a, billing):
    page = client_a.post(
        f"/integrations/{billing.uuid}/", {"action": "polling", "poll_interval": "5"}, follow=True
    ).content.decode()
    assert "Choose one of the polling schedules offered" in page
    billing.refresh_from_db()
    assert billing.poll_interval is None
    billing.poll_interval = timedelta(minutes=2)
    billing.save()
    page = client_a.get(f"/integrations/{billing.uuid}/").content.decode()
    assert '<option value="120" selected>Every 2 minutes</option>' in page


def test_an_agent_cannot_change_the_polling_schedule(client, tenant_a, billing):
    with scopes_disabled():
        agent = MembershipFactory(tenant=tenant_a, role="agent").user
    client.force_login(agent)
    response = client.post(f"/integrations/{billing.uuid}/", {"action": "polling", "poll_interval": "300"})
    assert response.status_code == 403
    billing.refresh_from_db()
    assert billing.poll_interval is None


def test_another_tenants_polling_schedule_is_a_404(client_a, tenant_b):
    with scopes_disabled():
        other = IntegrationFactory(tenant=tenant_b)
    response = client_a.post(f"/integrations/{other.uuid}/", {"action": "polling", "poll_interval": "300"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.poll_interval is None
