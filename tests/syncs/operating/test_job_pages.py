"""Jobs, a job's timeline and the failures page: what each role sees and may do, htmx and not, per tenant."""

import re

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from syncs import engine
from syncs.models import SyncJob
from tests.factories import UserFactory


@pytest.fixture
def as_role(tenant_a, owner_a, agent_a, admin_a, owner_b):
    def browser(role):
        people = {"owner": owner_a, "agent": agent_a, "admin": admin_a, "other tenant": owner_b}
        client = Client()
        if role == "outsider":
            client.force_login(UserFactory())
        elif role != "anonymous":
            client.force_login(people[role])
        return client

    return browser


def text(response):
    return response.content.decode()


def test_the_timeline_shows_the_event_calls_mapping_match_and_outcome_in_order(as_role, succeeded_job):
    page = text(as_role("agent").get(f"/jobs/{succeeded_job.uuid}/"))
    titles = re.findall(r"<strong>([^<]+)</strong> <code>", page)
    assert titles[0] == "API call" and "Fetched the source record" in titles
    assert titles.index("Mapped") < titles.index("Match decision") < titles.index("Written")
    assert "Inbound event" in page and "client.create" in page
    assert "&quot;name&quot;: &quot;Initech&quot;" in page, "the mapping's output, pretty-printed"
    assert "Replay</button>" not in page, "agents read, they do not replay"


def test_the_timeline_shows_retries_with_reason_and_wait(as_role, setup, sandbox, clock):
    from tests.helpers.sandboxes import event_for, new_client

    sandbox["zendesk"].faults.update({"error_rate": 1.0, "path_contains": "/organizations"}, clock.now.timestamp())
    client = new_client(sandbox)
    [job] = engine.jobs_for_event(event_for(setup, client["id"]))
    engine.run(job.pk)
    page = text(as_role("owner").get(f"/jobs/{job.uuid}/"))
    assert re.search(r"Retry in [\d.]+ s", page)
    assert "Retrying in" in page and "Retryable" in page


def test_the_inbound_events_headers_and_body_are_redacted(as_role, succeeded_job):
    event = succeeded_job.event
    event.headers = {"X-Signature": "abc123", "Content-Type": "application/json"}
    event.body = '{"object_id": 7, "token": "s3cret"}'
    event.save()
    page = text(as_role("owner").get(f"/jobs/{succeeded_job.uuid}/"))
    assert "abc123" not in page and "s3cret" not in page
    assert "[redacted]" in page and "application/json" in page


def test_the_audit_log_and_an_events_page_link_to_the_job(as_role, succeeded_job):
    browser = as_role("agent")
    assert f"/jobs/{succeeded_job.uuid}/" in text(browser.get("/audit/?kind=job.written"))
    event = succeeded_job.audit_events.get(kind="job.written")
    assert f"/jobs/{succeeded_job.uuid}/" in text(browser.get(f"/audit/{event.uuid}/"))


def test_the_jobs_list_filters_by_status_integration_trigger_and_record(as_role, succeeded_job, failed_job):
    browser = as_role("agent")
    assert str(failed_job.uuid) in text(browser.get("/jobs/?status=failed"))
    assert str(succeeded_job.uuid) not in text(browser.get("/jobs/?status=failed"))
    record = f"client:{succeeded_job.source_id}"
    page = text(browser.get(f"/jobs/?record={record}&trigger=webhook&integration={succeeded_job.integration.uuid}"))
    assert str(succeeded_job.uuid) in page and str(failed_job.uuid) not in page
    assert str(succeeded_job.uuid) in text(browser.get(f"/jobs/?record={succeeded_job.source_id}"))


def test_failures_are_grouped_and_agents_see_them_without_actions(as_role, failed_job, succeeded_job):
    page = text(as_role("agent").get("/failures/"))
    assert str(failed_job.uuid) in page and str(succeeded_job.uuid) not in page
    assert "Invalid" in page
    assert re.search(r"error=Invalid&amp;status=failed\">1</a>", page)
    assert "Replay</button>" not in page and "Replay all" not in page
    admin_page = text(as_role("admin").get("/failures/"))
    assert "Replay</button>" in admin_page and "Replay all 1 matching this filter" in admin_page


def test_a_replay_from_the_failures_page_swaps_the_row_and_resolves_the_failure(as_role, failed_job, sandbox):
    sandbox["zendesk"].account("acme").organizations.clear()
    browser = as_role("admin")
    response = browser.post(f"/jobs/{failed_job.uuid}/replay/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert text(response).startswith(f'<tr id="job-{failed_job.uuid}">') and "Replayed" in text(response)
    new = SyncJob.objects.get(replay_of=failed_job)
    assert engine.run(new.pk) == "succeeded"
    assert str(failed_job.uuid) not in text(browser.get("/failures/")), "a later success resolves the failure"


def test_a_replay_without_javascript_leads_to_the_new_jobs_timeline(as_role, failed_job):
    response = as_role("owner").post(f"/jobs/{failed_job.uuid}/replay/")
    new = SyncJob.objects.get(replay_of=failed_job)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{new.uuid}/"


def test_a_dry_run_shows_what_would_be_written_and_writes_nothing(
    as_role, failed_job, sandbox, django_capture_on_commit_callbacks
):
    """Queued like any job, not run in the request (which never waits on a provider): the row polls."""
    sandbox["zendesk"].account("acme").organizations.clear()
    browser = as_role("admin")
    calls_before = len(sandbox["zendesk"].journal.entries(kind="request"))
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/jobs/{failed_job.uuid}/dry-run/", HTTP_HX_REQUEST="true")
        page = text(response)
        assert len(sandbox["zendesk"].journal.entries(kind="request")) == calls_before, "no call in the request"
    assert page.startswith(f'<tr id="dry-run-{failed_job.uuid}"')
    assert "waiting" in page and 'hx-trigger="every 2s"' in page
    dry = SyncJob.objects.get(replay_of=failed_job, dry_run=True)
    page = text(browser.get(f"/jobs/{dry.uuid}/", HTTP_HX_REQUEST="true"))
    assert "would create organization" in page and "Taken Name" in page
    assert "hx-trigger" not in page, "settled: no more polling"
    assert sandbox["zendesk"].account("acme").organizations == {}
    dry = SyncJob.objects.get(replay_of=failed_job, dry_run=True)
    assert dry.result["action"] == "create"
    response = browser.post(f"/jobs/{failed_job.uuid}/dry-run/")
    assert response.status_code == 302 and response["Location"].startswith("/jobs/")


def test_a_pending_dry_run_polls_until_it_has_a_result(as_role, failed_job, clock):
    with scopes_disabled():
        dry = engine.replay(failed_job, dry_run=True)
    page = text(as_role("admin").get(f"/jobs/{dry.uuid}/", HTTP_HX_REQUEST="true"))
    assert 'hx-trigger="every 2s"' in page and "waiting" in page


def test_replay_all_says_how_many_before_it_replays(as_role, failed_job):
    browser = as_role("admin")
    confirm = text(browser.get(f"/failures/replay/?integration={failed_job.integration.uuid}&error=Invalid"))
    assert "This replays <strong>1 job</strong>" in confirm
    assert text(browser.get("/failures/replay/?error=NoSuchError")).count("nothing to replay") == 1
    response = browser.post(
        "/failures/replay/", {"integration": str(failed_job.integration.uuid), "error": "Invalid"}, follow=True
    )
    assert "Replaying 1 job in the background" in text(response)
    assert SyncJob.objects.filter(replay_of=failed_job, dry_run=False).count() == 1


@pytest.mark.parametrize("role", ["agent", "outsider", "anonymous"])
def test_only_owners_and_admins_replay(as_role, failed_job, role):
    browser = as_role(role)
    for path in [f"/jobs/{failed_job.uuid}/replay/", f"/jobs/{failed_job.uuid}/dry-run/", "/failures/replay/"]:
        response = browser.post(path)
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response["Location"].startswith("/login/")
    assert browser.get("/failures/replay/").status_code in (302, 403)
    assert not SyncJob.objects.filter(replay_of=failed_job).exists()


@pytest.mark.parametrize("role", ["outsider", "anonymous"])
def test_strangers_see_no_jobs(as_role, failed_job, role):
    for path in ["/jobs/", f"/jobs/{failed_job.uuid}/", "/failures/"]:
        assert as_role(role).get(path).status_code == {"outsider": 403, "anonymous": 302}[role]


def test_another_tenants_jobs_are_not_found(as_role, failed_job):
    browser = as_role("other tenant")
    assert browser.get(f"/jobs/{failed_job.uuid}/").status_code == 404
    assert browser.post(f"/jobs/{failed_job.uuid}/replay/").status_code == 404
    assert browser.post(f"/jobs/{failed_job.uuid}/dry-run/").status_code == 404
    assert str(failed_job.uuid) not in text(browser.get("/failures/"))
    assert str(failed_job.uuid) not in text(browser.get("/jobs/"))
    assert "This replays" not in text(browser.get("/failures/replay/"))
    assert not SyncJob.objects.filter(replay_of=failed_job).exists()


def test_replay_all_hands_the_replays_to_tasks_and_a_retry_replays_nothing_twice(as_role, failed_job, monkeypatch):
    """The request only counts and queues (batches of at most 500): a client retrying after a slow answer
    must not get a second replay of what is already waiting."""
    import sys

    replaying = sys.modules["syncs.engine.replay"]  # the module, which the package's `replay` function shadows
    queued = []
    monkeypatch.setattr(replaying, "queue_task", lambda *args: queued.append(args) or True)
    browser = as_role("admin")
    browser.post("/failures/replay/", {"integration": str(failed_job.integration.uuid)})
    assert not SyncJob.objects.filter(replay_of=failed_job).exists(), "nothing replayed in the request"
    [(name, pks, actor)] = queued
    assert name == "syncs.tasks.replay_jobs" and pks == [failed_job.pk]
    from syncs import tasks

    assert tasks.replay_jobs(pks, actor) == 1
    assert tasks.replay_jobs(pks, actor) == 0, "its replay is still waiting: not made again"
    assert SyncJob.objects.filter(replay_of=failed_job).count() == 1
