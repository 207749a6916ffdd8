"""The engine with a small test flow between the FreshBooks and Zendesk emulators."""

from unittest import mock

from django_scopes import scopes_disabled

from audit.models import AuditEvent
from connections.models import Integration
from connections.sandbox.oauth import Grant
from syncs import engine, polling
from syncs.models import InboundEvent, RecordLink, SyncJob
from tests.helpers.sandboxes import (
    ACCOUNT,
    drain,
    event_for,
    new_client,
    organizations,
    zendesk_connection,
    zendesk_writes,
)
from tests.syncs.sample_flow import FLOW


def test_an_event_becomes_one_job_that_writes_and_links(setup, sandbox, clock):
    client = new_client(sandbox)
    [job] = engine.jobs_for_event(event_for(setup, client["id"]))
    assert engine.run(job.pk) == "succeeded"
    [org] = organizations(sandbox)
    assert org.name == "Acme Corp" and org.external_id == f"freshbooks:client:{client['id']}"
    link = RecordLink.objects.get(integration=setup, source_id=str(client["id"]))
    assert link.target_id == str(org.id) and link.method == "created"
    kinds = list(AuditEvent.objects.filter(data__job=str(job.uuid)).values_list("kind", flat=True))
    assert {"job.fetched", "job.mapped", "job.matched", "job.written"} <= set(kinds)


def test_the_same_event_three_times_and_a_replay_write_exactly_once(setup, sandbox, clock):
    client = new_client(sandbox)
    for _ in range(3):
        for job in engine.jobs_for_event(event_for(setup, client["id"])):
            engine.run(job.pk)
    job = SyncJob.objects.filter(status="succeeded").first()
    replay = engine.replay(job)
    engine.run(replay.pk)
    assert replay.__class__.objects.get(pk=replay.pk).result["outcome"] == "unchanged"
    assert len(organizations(sandbox)) == 1
    assert len(zendesk_writes(sandbox)) == 1


def test_a_pending_job_absorbs_later_events_for_the_same_record(setup, sandbox, clock):
    client = new_client(sandbox)
    first = engine.jobs_for_event(event_for(setup, client["id"]))
    second = engine.jobs_for_event(event_for(setup, client["id"], "client.update"))
    assert len(first) == 1 and second == []


def test_out_of_order_updates_end_with_the_newer_state(setup, sandbox, clock):
    client = new_client(sandbox, "Acme Corp")
    older = engine.jobs_for_event(event_for(setup, client["id"]))[0]
    # The job for the first event is claimed but the record changes before it fetches; a later event's job waits.
    assert engine.claim(older.pk) is not None
    sandbox["freshbooks"].update(ACCOUNT, "client", client["id"], {"organization": "Acme Corporation"})
    newer = engine.jobs_for_event(event_for(setup, client["id"], "client.update"))[0]
    assert engine.run(newer.pk) is None, "never two jobs of one record at once"
    SyncJob.objects.filter(pk=older.pk).update(status="pending", lease_expires_at=None)  # the first one resumes
    drain(clock)
    [org] = organizations(sandbox)
    assert org.name == "Acme Corporation"


def test_5xx_and_429_bursts_still_write_every_record_once_and_respect_retry_after(setup, sandbox, clock):
    zendesk = sandbox["zendesk"]
    zendesk.faults.update({"error_rate": 0.3, "path_contains": "/organizations"}, zendesk.clock.now())
    clients = [new_client(sandbox, f"Client {n}") for n in range(12)]
    for client in clients:
        engine.jobs_for_event(event_for(setup, client["id"]))
    zendesk.faults.update({"rate_limit_seconds": 40, "retry_after": 40}, zendesk.clock.now())
    drain(clock, rounds=400)
    assert SyncJob.objects.filter(status="succeeded").count() == 12
    names = sorted(o.name for o in organizations(sandbox))
    assert names == sorted(f"Client {n}" for n in range(12))
    entries = zendesk.journal.entries(kind="request")
    limited = [e for e in entries if e.status == 429]
    assert limited, "the burst of 429s happened"
    first_429 = min(e.at for e in limited)
    from datetime import datetime

    def ts(entry):
        return datetime.fromisoformat(entry.at.replace("Z", "+00:00")).timestamp()

    start = ts(next(e for e in entries if e.at == first_429))
    calls_inside_wait = [e for e in entries if start < ts(e) < start + 40 and e.status != 429]
    assert calls_inside_wait == [], "no call before Retry-After had passed"


def test_a_worker_killed_mid_job_is_taken_over_after_its_lease_and_runs_once(setup, sandbox, clock, settings):
    client = new_client(sandbox)
    [job] = engine.jobs_for_event(event_for(setup, client["id"]))
    assert engine.claim(job.pk, owner="dead-worker") is not None  # the process dies here, holding the lease
    assert engine.run(job.pk) is None
    clock.advance(settings.SYNC_LEASE_SECONDS + 1)
    counts = engine.sweep()
    assert counts["reclaimed"] == 1
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2
    assert len(organizations(sandbox)) == 1


def test_a_lost_queue_message_is_recovered_by_the_sweeper(setup, sandbox, clock, django_capture_on_commit_callbacks):
    client = new_client(sandbox)
    with mock.patch("syncs.engine.jobs.enqueue"), django_capture_on_commit_callbacks(execute=True):
        [job] = engine.jobs_for_event(event_for(setup, client["id"]))  # the broker drops the wake-up
    job.refresh_from_db()
    assert job.status == "pending"
    clock.advance(30)
    assert engine.sweep()["due"] == 1
    job.refresh_from_db()
    assert job.status == "succeeded"


def test_an_unprocessed_event_is_picked_up_by_the_sweeper(setup, sandbox, clock):
    client = new_client(sandbox)
    event = event_for(setup, client["id"])
    clock.advance(60)
    assert engine.sweep()["events"] == 1
    event.refresh_from_db()
    assert event.status == "processed" and event.jobs.count() == 1


def test_a_revoked_token_parks_jobs_and_reconnecting_resumes_them(setup, sandbox, clock):
    client = new_client(sandbox)
    sandbox["zendesk"].oauth.revoke()
    [job] = engine.jobs_for_event(event_for(setup, client["id"]))
    assert engine.run(job.pk) == "parked"
    setup.target.refresh_from_db()
    assert setup.target.status == "needs_reauth"
    # Reconnecting: fresh tokens, active again.
    zendesk = sandbox["zendesk"]
    issued = zendesk.oauth.issue_tokens(
        Grant(
            "sandbox-zendesk-client", "read write", {"subdomain": "acme", "user_id": zendesk.account("acme").admin.id}
        )
    )
    target = setup.target
    target.access_token, target.refresh_token, target.status = issued.access.value, issued.refresh.value, "active"
    target.save()
    assert engine.sweep()["resumed"] == 1
    job.refresh_from_db()
    assert job.status == "succeeded"


def test_a_permanent_error_fails_at_once_with_the_providers_message(setup, sandbox, clock):
    [job] = engine.jobs_for_event(event_for(setup, 999999))
    assert engine.run(job.pk) == "succeeded"  # a source record that is gone is nothing to write
    sandbox["zendesk"].account("acme").create_organization({"name": "Taken Name"})
    client = new_client(sandbox, "Taken Name")
    [job] = engine.jobs_for_event(event_for(setup, client["id"]))
    assert engine.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.attempts == 1, "permanent errors are not retried"
    assert job.last_error_type == "Invalid"
    assert "HTTP 422" in job.last_error_message
    assert "has already been taken" in job.last_error_message, "the provider's own words are kept"


def test_a_dry_run_says_what_would_be_written_and_writes_nothing(setup, sandbox, clock):
    client = new_client(sandbox)
    [job] = engine.jobs_for_event(event_for(setup, client["id"]))
    job.status = "failed"
    job.save()
    dry = engine.replay(job, dry_run=True)
    engine.run(dry.pk)
    dry.refresh_from_db()
    assert dry.result["action"] == "create" and dry.result["payload"]["name"] == "Acme Corp"
    assert organizations(sandbox) == []


def test_polling_finds_a_change_no_webhook_announced(setup, sandbox, clock):
    client = new_client(sandbox)
    assert polling.run(setup) == 1
    drain(clock)
    assert [o.name for o in organizations(sandbox)] == ["Acme Corp"]
    setup.refresh_from_db()
    assert setup.poll_watermark is not None
    assert polling.run(setup) == 1  # the day-granular window overlaps ...
    assert SyncJob.objects.count() == 1  # ... and dedupe absorbs it
    assert client["id"]


def test_a_backfill_walks_every_page_and_reports_progress(setup, sandbox, clock):
    for n in range(130):
        new_client(sandbox, f"Client {n}")
    assert polling.run(setup, backfill=True) == 130
    setup.refresh_from_db()
    assert setup.backfill["status"] == "done" and setup.backfill["done"] == 130
    assert SyncJob.objects.filter(trigger="backfill").count() == 130


def test_tasks_enter_the_jobs_tenant_scope(setup, sandbox, clock):
    from syncs import tasks

    client = new_client(sandbox)
    [job] = engine.jobs_for_event(event_for(setup, client["id"]))
    with scopes_disabled():
        assert tasks.run_job(job.pk) == "succeeded"
    assert tasks.run_job(10**9) is None


def test_events_from_the_target_reach_flows_that_listen_on_the_target(setup, sandbox, clock, monkeypatch):
    monkeypatch.setattr(FLOW, "target_listens_to", frozenset({"organization.created"}), raising=False)
    event = InboundEvent.objects.create(
        tenant=setup.tenant,
        connection=setup.target,
        provider="zendesk",
        event_name="organization.created",
        object_type="organization",
        object_id="42",
        dedupe_key="zd-1",
    )
    [job] = engine.jobs_for_event(event)
    assert (job.source_type, job.source_id) == ("organization", "42")
    other = InboundEvent.objects.create(
        tenant=setup.tenant,
        connection=setup.target,
        provider="zendesk",
        event_name="user.created",
        object_type="user",
        object_id="7",
        dedupe_key="zd-2",
    )
    assert engine.jobs_for_event(other) == []


def test_run_due_drains_an_integrations_due_jobs_once_each(setup, sandbox, clock):
    for n in range(3):
        client = new_client(sandbox, f"Client {n}")
        engine.jobs_for_event(event_for(setup, client["id"]), wake=False)
    assert engine.run_due(setup.pk) == 3
    assert engine.run_due(setup.pk) == 0
    assert len(organizations(sandbox)) == 3


def test_a_drain_past_its_time_budget_hands_the_rest_to_a_new_task(setup, sandbox, clock, settings, monkeypatch):
    """django-q2 kills a task at 120 s and never runs it again: a long drain must not be one task."""
    from syncs.engine import jobs

    queued = []
    monkeypatch.setattr(jobs, "queue_task", lambda *args: queued.append(args) or True)
    for n in range(3):
        client = new_client(sandbox, f"Client {n}")
        engine.jobs_for_event(event_for(setup, client["id"]), wake=False)
    settings.SYNC_TASK_BUDGET_SECONDS = 0  # already spent: nothing runs here, the rest is handed on
    assert engine.run_due(setup.pk) == 0
    assert queued == [("syncs.tasks.run_due", setup.pk)]
    settings.SYNC_TASK_BUDGET_SECONDS = 60
    assert engine.run_due(setup.pk) == 3, "the continuation finds every job still due"


def test_a_freshbooks_repeat_after_processing_queues_the_record_again(setup, sandbox, clock):
    """No event id: the same delivery again may be a second change; it is stored once but re-queued."""
    from types import SimpleNamespace

    from connections.providers.freshbooks.webhooks import RECEIVER
    from syncs.ingest.webhooks import ParsedEvent, store

    client = new_client(sandbox)
    request = SimpleNamespace(body=b"name=client.create", headers={})
    parsed = ParsedEvent("client.create", "same-key", "client", str(client["id"]))
    store(request, RECEIVER, setup.source, [parsed])
    event = InboundEvent.objects.get(dedupe_key="same-key")
    from syncs.ingest import events

    events.process(event)
    drain(clock)
    sandbox["freshbooks"].update(ACCOUNT, "client", client["id"], {"organization": "Acme Corporation"})
    assert store(request, RECEIVER, setup.source, [parsed])["duplicates"] == 1
    drain(clock)
    assert InboundEvent.objects.filter(dedupe_key="same-key").count() == 1
    assert [o.name for o in organizations(sandbox)] == ["Acme Corporation"]


def test_a_job_put_back_to_wait_is_due_for_the_sweeper_the_moment_its_wait_ends(setup, sandbox, clock):
    client = new_client(sandbox)
    [job] = engine.jobs_for_event(event_for(setup, client["id"]), wake=False)
    clock.advance(1)
    assert engine.sweep()["due"] == 0, "a fresh job's own wake-up is still on its way"
    engine.claim(job.pk)
    job.refresh_from_db()
    ctx = engine.Context(job, setup)
    engine.retry_later(job, ctx, 5, "a short wait")
    clock.advance(5.1)
    assert engine.sweep()["due"] == 1


def test_run_sweeper_sweeps_once(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("run_sweeper", once=True, stdout=StringIO())


def test_a_second_integration_on_the_same_source_backfills_every_record(setup, sandbox, clock):
    """Enabled one after the other on one FreshBooks connection, both flows end with every client."""
    for n in range(3):
        new_client(sandbox, f"Client {n}")
    assert polling.run(setup, backfill=True) == 3
    engine.run_due(setup.pk)
    second_target = zendesk_connection(sandbox, setup.tenant, subdomain="second")
    second = Integration.objects.create(
        tenant=setup.tenant, kind=setup.kind, source=setup.source, target=second_target, enabled=True
    )
    assert polling.run(second, backfill=True) == 3
    engine.run_due(second.pk)
    for integration, subdomain in ((setup, "acme"), (second, "second")):
        assert RecordLink.objects.filter(integration=integration).count() == 3
        names = {o.name for o in sandbox["zendesk"].account(subdomain).organizations.values()}
        assert {"Client 0", "Client 1", "Client 2"} <= names
    assert SyncJob.objects.filter(integration=setup).count() == 3, "the second backfill queued nothing for the first"
