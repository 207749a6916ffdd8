"""The dashboard: per integration, 24-hour figures that link to their rows, an hourly chart, and alerts."""

import datetime

import pytest
from django_scopes import scopes_disabled

import audit
from connections.models import Connection
from syncs.models import SyncJob
from syncs.operating import overview
from tests.factories import IntegrationFactory


def health_of(response, integration):
    return next(h for h in response.context["healths"] if h["integration"] == integration)


@pytest.fixture
def owner_client(client, owner_a):
    client.force_login(owner_a)
    return client


def test_the_24_hour_counts_per_status_and_their_links(owner_client, failed_job, succeeded_job, clock):
    with scopes_disabled():
        old = SyncJob.objects.create(
            tenant=succeeded_job.tenant,
            integration=succeeded_job.integration,
            trigger="poll",
            source_type="client",
            source_id="1",
            status="failed",
        )
        SyncJob.objects.filter(pk=old.pk).update(created_at=clock.now - datetime.timedelta(hours=30))
        SyncJob.objects.create(
            tenant=succeeded_job.tenant,
            integration=succeeded_job.integration,
            trigger="poll",
            source_type="client",
            source_id="2",
        )
    response = owner_client.get("/")
    health = health_of(response, succeeded_job.integration)
    counts = {c["status"]: c["count"] for c in health["counts"]}
    assert counts == {"succeeded": 1, "failed": 1, "waiting_review": 0, "parked": 0, "pending": 1}
    assert health["jobs"] == 3 and health["events"] == 2
    assert health["open_failures"] == 2, "the old failure is still open, though outside the 24 hours"
    assert health["last_success"] == succeeded_job.finished_at
    assert health["oldest_pending"] is not None
    page = response.content.decode()
    failed_link = next(c["link"] for c in health["counts"] if c["status"] == "failed")
    assert failed_link.startswith(f"/jobs/?integration={succeeded_job.integration.uuid}&status=failed&since=")
    assert f'href="{failed_link.replace("&", "&amp;")}"' in page
    listed = owner_client.get(failed_link).content.decode()
    assert str(failed_job.uuid) in listed and str(old.uuid) not in listed, "the link shows exactly what was counted"
    assert f"/failures/?integration={succeeded_job.integration.uuid}" in page


def test_the_chart_counts_events_writes_and_failures_per_hour(owner_client, failed_job, succeeded_job, clock):
    response = owner_client.get("/")
    chart = health_of(response, succeeded_job.integration)["chart"]
    assert len(chart.events) == len(chart.writes) == len(chart.failures) == 24
    assert chart.events[-1] == 2 and sum(chart.events) == 2
    assert chart.writes[-1] == 1 and sum(chart.writes) == 1
    assert chart.failures[-1] == 1 and sum(chart.failures) == 1
    assert len(chart.bars) == 1 and chart.peak == 2
    page = response.content.decode()
    assert "<svg" in page and "<polyline" in page and "2 events, 1 writes, 1 failures" in page


def test_hours_outside_the_window_are_left_out_and_buckets_are_hours(setup, clock):
    now = clock.now
    with scopes_disabled():
        for hours_ago in (0, 1, 1, 23, 25):
            event = audit.record("job.written", tenant=setup.tenant, integration=setup, message="w")
            type(event).objects.filter(pk=event.pk).update(created_at=now - datetime.timedelta(hours=hours_ago))
    chart = overview.integration_health(setup, now)["chart"]
    assert chart.writes[-1] == 1 and chart.writes[-2] == 2 and chart.writes[0] == 1 and sum(chart.writes) == 4


def test_alerts_for_reauthorization_rejected_webhooks_and_failing_jobs(owner_client, failed_job, setup):
    with scopes_disabled():
        Connection.objects.filter(pk=setup.target.pk).update(status="needs_reauth")
        audit.record("webhook.rejected", tenant=setup.tenant, connection=setup.source, message="bad signature")
    page = owner_client.get("/").content.decode()
    assert f"{setup.target.label} needs to be reconnected" in page
    assert f"1 webhook to {setup.source.label} rejected in the last 24 hours" in page
    assert "1 job of" in page and "failed and wait for a replay" in page


def test_webhook_registration_and_pings_are_shown_per_connection(owner_client, setup):
    with scopes_disabled():
        setup.target.settings = {"webhooks": {"webhook_id": "01H", "status": "active"}}
        setup.target.save()
        setup.source.settings = {"webhooks": {"callbacks": {"1": {"event": "client.create", "verified": True}}}}
        setup.source.save()
    page = owner_client.get("/").content.decode()
    assert "registered (active)" in page and "1 of 1 callbacks verified" in page and "never" in page


def test_an_empty_workspace_still_gets_the_checklist(client, owner_b):
    client.force_login(owner_b)
    response = client.get("/")
    assert "Get started" in response.content.decode() and response.context["healths"] == []


def test_another_tenants_integrations_stay_off_the_dashboard(client, owner_b, tenant_b, failed_job):
    with scopes_disabled():
        IntegrationFactory(tenant=tenant_b)
    client.force_login(owner_b)
    response = client.get("/")
    assert [h["integration"].tenant_id for h in response.context["healths"]] == [tenant_b.pk]
    assert "failed and wait" not in response.content.decode()


def test_agents_see_the_dashboard(client, agent_a, failed_job):
    client.force_login(agent_a)
    assert "failed and wait for a replay" in client.get("/").content.decode()
