"""Retention of the sync tables: old rows go in bounded batches, what a failure, a replay or a review needs stays."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone
from django_scopes import scopes_disabled

import audit
from audit.models import AuditEvent
from syncs import engine, retention, review
from syncs.models import InboundEvent, RemoteRecord, ReviewItem, SyncJob, WriteLedger
from syncs.operating.jobs import open_failures
from tests.factories import IntegrationFactory

OLD = timedelta(days=45)  # past SYNC_RETENTION_DAYS and MIRROR_TOMBSTONE_DAYS (30)
S, F, P = SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED, SyncJob.Status.PARKED


@pytest.fixture(autouse=True)
def fresh_indexes():
    review.forget_indexes()
    yield
    review.forget_indexes()


@pytest.fixture
def integration(tenant_a, unscoped):
    return IntegrationFactory(tenant=tenant_a)


def event(integration, age=OLD, status=InboundEvent.Status.PROCESSED, key=None):
    made = InboundEvent.objects.create(
        tenant=integration.tenant,
        connection=integration.source,
        provider="testsource",
        event_name="thing.update",
        object_type="thing",
        object_id="1",
        dedupe_key=key or f"k{InboundEvent.objects.count()}",
        status=status,
    )
    InboundEvent.objects.filter(pk=made.pk).update(received_at=timezone.now() - age)
    return made


def job(integration, record, status, age=OLD, **fields):
    made = SyncJob.objects.create(
        tenant=integration.tenant,
        integration=integration,
        trigger=SyncJob.Trigger.WEBHOOK,
        source_type="thing",
        source_id=record,
        status=status,
        **fields,
    )
    at = timezone.now() - age
    SyncJob.objects.filter(pk=made.pk).update(created_at=at, finished_at=at if status in (S, F) else None)
    return made


def remaining(model, **filters):
    return set(model.objects.filter(**filters).values_list("pk", flat=True))


def test_old_finished_jobs_go_but_open_failures_each_records_last_success_and_live_jobs_stay(integration):
    superseded, last = job(integration, "r1", S), job(integration, "r1", S)
    dry_run = job(integration, "r1", S, dry_run=True)
    open_failure = job(integration, "r2", F)
    resolved, resolving = job(integration, "r3", F), job(integration, "r3", S)
    parked, pending = job(integration, "r4", P), job(integration, "r5", SyncJob.Status.PENDING)
    waiting = job(integration, "r5", SyncJob.Status.WAITING_REVIEW)
    recent = [job(integration, "r6", S, age=timedelta(days=2)), job(integration, "r6", S, age=timedelta(days=1))]
    failures = set(open_failures(SyncJob.objects.all()).values_list("pk", flat=True))
    assert failures == {open_failure.pk, parked.pk}

    done = retention.prune()

    kept = {last, open_failure, resolving, parked, pending, waiting, *recent}
    assert remaining(SyncJob) == {j.pk for j in kept}
    assert not remaining(SyncJob, pk__in=[superseded.pk, dry_run.pk, resolved.pk])
    assert set(open_failures(SyncJob.objects.all()).values_list("pk", flat=True)) == failures
    assert done == {"jobs": 3, "events": 0, "mirror_rows": 0, "ledger_rows": 0, "complete": True}


def test_old_events_go_unless_a_kept_job_points_to_them_or_they_wait_to_be_processed(integration):
    alone, ignored = event(integration), event(integration, status=InboundEvent.Status.IGNORED)
    of_failure, of_pruned_job = event(integration), event(integration)
    unprocessed, recent = event(integration, status=InboundEvent.Status.RECEIVED), event(integration, age=timedelta(1))
    failed = job(integration, "r1", F, event=of_failure)
    job(integration, "r2", S, event=of_pruned_job)
    job(integration, "r2", S)
    trail = audit.record("webhook.received", tenant=integration.tenant, message="in", inbound_event=of_pruned_job)

    done = retention.prune()

    assert remaining(InboundEvent) == {of_failure.pk, unprocessed.pk, recent.pk}
    assert not remaining(InboundEvent, pk__in=[alone.pk, ignored.pk, of_pruned_job.pk])
    failed.refresh_from_db()
    assert failed.event_id == of_failure.pk, "a kept failure keeps the event its timeline and replay show"
    trail.refresh_from_db()
    assert trail.event_id is None, "audit events outlive the event: the foreign key is nulled, nothing cascades"
    assert (done["jobs"], done["events"]) == (1, 3)


def mirror_row(integration, remote_id, deleted=True, age=OLD):
    row = RemoteRecord.objects.create(
        tenant=integration.tenant,
        connection=integration.target,
        record_type="organization",
        remote_id=remote_id,
        name=f"Org {remote_id}",
        deleted=deleted,
    )
    RemoteRecord.objects.filter(pk=row.pk).update(updated_at=timezone.now() - age)
    return row


def test_rows_of_deleted_records_go_after_the_tombstone_age_unless_an_open_review_names_them(integration):
    gone, live = mirror_row(integration, "1"), mirror_row(integration, "2", deleted=False)
    recent = mirror_row(integration, "3", age=timedelta(days=5))
    reviewed, decided = mirror_row(integration, "4"), mirror_row(integration, "5")
    for status, candidate, record in (("open", "4", "c1"), ("dismissed", "5", "c2")):
        ReviewItem.objects.create(
            tenant=integration.tenant,
            integration=integration,
            source_type="client",
            source_id=record,
            candidates=[{"record_id": candidate, "name": "Org", "score": 80}],
            status=status,
        )

    with override_settings(MIRROR_TOMBSTONE_DAYS=40):
        assert retention.prune(batch_size=1)["mirror_rows"] == 2

    assert remaining(RemoteRecord) == {live.pk, recent.pk, reviewed.pk}
    assert not remaining(RemoteRecord, pk__in=[gone.pk, decided.pk])


def test_a_match_index_older_than_the_tombstones_is_rebuilt_so_a_pruned_deletion_is_not_missed(
    integration, monkeypatch, clock
):
    mirror_row(integration, "7", deleted=False, age=timedelta(0))
    assert review.index_for(integration, "organization").get("7") is not None
    RemoteRecord.objects.filter(remote_id="7").update(deleted=True, updated_at=timezone.now())
    clock.advance(31 * 86400)
    retention.prune()
    assert not RemoteRecord.objects.filter(remote_id="7").exists()
    assert review.index_for(integration, "organization").get("7") is None


def test_the_ledger_of_a_record_gone_from_the_source_goes_when_its_last_job_is_old(setup, sandbox, clock):
    """Through the engine: the job that fetches a deleted client settles as the prune expects."""
    from tests.helpers.sandboxes import ACCOUNT, event_for, new_client

    gone, kept, reviewed = new_client(sandbox, "Gone"), new_client(sandbox, "Kept"), new_client(sandbox, "Review")
    for client in (gone, kept, reviewed):
        [first] = engine.jobs_for_event(event_for(setup, client["id"]))
        assert engine.run(first.pk) == "succeeded"
    for client in (gone, reviewed):
        del sandbox["freshbooks"].account(ACCOUNT)["client"][client["id"]]
        [last] = engine.jobs_for_event(event_for(setup, client["id"], name="client.update"))
        assert engine.run(last.pk) == "succeeded"
        assert SyncJob.objects.get(pk=last.pk).result == {"outcome": retention.GONE}
    ReviewItem.objects.create(tenant=setup.tenant, integration=setup, source_type="client", source_id=reviewed["id"])
    assert retention.prune()["ledger_rows"] == 0, "the job is recent"

    clock.advance(31 * 86400)
    retention.prune()

    left = set(WriteLedger.objects.values_list("source_id", flat=True))
    assert left == {str(kept["id"]), str(reviewed["id"])}


def test_a_run_stops_starting_batches_when_its_time_is_up_and_the_next_run_goes_on(integration, monkeypatch):
    for _ in range(10):
        job(integration, "r1", S)
    now = [0.0]

    def clock():
        now[0] += 10.0  # each look at the clock: 10 s more, so a 60 s run looks five times
        return now[0]

    monkeypatch.setattr(retention, "clock", clock)
    runs = [retention.prune(batch_size=1)]
    assert runs[0] == {"jobs": 5, "events": 0, "mirror_rows": 0, "ledger_rows": 0, "complete": False}
    while not runs[-1]["complete"] and len(runs) < 5:
        runs.append(retention.prune(batch_size=1))
    assert runs[-1]["complete"] and sum(run["jobs"] for run in runs) == 9
    assert SyncJob.objects.count() == 1


def test_the_time_budget_stays_well_inside_the_task_timeout():
    assert settings.Q_CLUSTER["timeout"] >= retention.BUDGET_SECONDS * 2


def test_each_tenant_with_something_deleted_gets_one_audit_event_with_the_counts(integration, tenant_b):
    other, quiet = IntegrationFactory(tenant=tenant_b), IntegrationFactory()
    for owner in (integration, other):
        job(owner, "r1", S)
        job(owner, "r1", S)
        event(owner)
    job(quiet, "r1", S)

    retention.prune()
    retention.prune()  # nothing left: no second event

    events = AuditEvent.objects.filter(kind="sync.pruned")
    assert sorted(events.values_list("tenant_id", flat=True)) == sorted([integration.tenant_id, tenant_b.pk])
    for pruned in events:
        assert {k: pruned.data[k] for k in retention.KINDS} == {
            "jobs": 1,
            "events": 1,
            "mirror_rows": 0,
            "ledger_rows": 0,
        }
        assert pruned.message.startswith("Deleted 1 finished jobs, 1 inbound events")


def test_the_command_counts_in_a_dry_run_and_prunes_otherwise(integration):
    job(integration, "r1", S)
    job(integration, "r1", S)
    out = StringIO()
    call_command("prune_syncs", "--dry-run", stdout=out)
    assert "Would delete: 1 jobs" in out.getvalue() and SyncJob.objects.count() == 2
    call_command("prune_syncs", stdout=out)
    assert "Deleted 1 jobs" in out.getvalue() and SyncJob.objects.count() == 1


def test_setup_schedules_prunes_the_sync_tables_hourly(db):
    from django_q.models import Schedule

    with scopes_disabled():
        call_command("setup_schedules", stdout=StringIO())
    schedule = Schedule.objects.get(name="prune-syncs")
    assert (schedule.func, schedule.minutes) == ("syncs.tasks.prune", 60)
