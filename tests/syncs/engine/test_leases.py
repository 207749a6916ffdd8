"""Leases: an owner of its own per claim, short, renewed while the job runs, and a lost one stops the run.

Time passes inside provider calls: `http.interpret` (the answer being read, before the call's heartbeat after
it) moves the shared clock, and a rival worker tries its claim there, as if the call had been that slow.
"""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from audit.models import AuditEvent
from connections.providers import http
from syncs import engine
from syncs.engine import claims
from syncs.models import InboundEvent, RecordLink, SyncJob, WriteLedger
from tests.helpers.sandboxes import event_for, new_client, organizations
from tests.syncs.engine.test_write_plan import InBulk, installed


def slow_calls(monkeypatch, clock, seconds, during=None, only=None, times=None):
    """Provider calls (those of method `only`, the first `times`) last `seconds`; `during()` runs meanwhile."""
    interpret = http.interpret
    left = [times]

    def slow(connection, response, started):
        result = interpret(connection, response, started)
        if (only is None or response.request.method == only) and left[0] != 0:
            left[0] = None if left[0] is None else left[0] - 1
            clock.advance(seconds)
            if during is not None:
                during()
        return result

    monkeypatch.setattr(http, "interpret", slow)


def job_for_new_client(setup, sandbox, name="Acme Corp"):
    client = new_client(sandbox, name)
    [job] = engine.jobs_for_event(event_for(setup, client["id"]), wake=False)
    return job


def test_two_claims_in_one_process_have_owners_of_their_own(setup, sandbox, clock):
    first, second = job_for_new_client(setup, sandbox, "One"), job_for_new_client(setup, sandbox, "Two")
    owners = {engine.claim(first.pk).lease_owner, engine.claim(second.pk).lease_owner}
    assert len(owners) == 2, "a forked or threaded sibling must never pass for this claim's owner"
    assert all(owner.count(":") == 2 for owner in owners), "host, process and the claim's own token"


def test_a_job_taken_over_during_its_write_records_nothing_more_and_is_left_to_its_new_owner(
    setup, sandbox, clock, monkeypatch, settings
):
    job = job_for_new_client(setup, sandbox)
    rival = []
    # The write hangs past the lease; the sweeper's wake-up lets another worker claim the job meanwhile.
    slow_calls(
        monkeypatch,
        clock,
        settings.SYNC_LEASE_SECONDS + 1,
        during=lambda: rival.append(engine.claim(job.pk)),
        only="POST",
        times=1,
    )
    assert engine.run(job.pk) is None, "the first worker stopped"
    [taken] = rival
    assert taken is not None, "the job was claimable once the lease had expired"
    job.refresh_from_db()
    assert (job.status, job.lease_owner, job.attempts) == ("running", taken.lease_owner, 2), "left to its new owner"
    timeline = AuditEvent.objects.filter(job=job)
    assert not timeline.filter(kind="job.written").exists()
    assert not timeline.filter(kind="api.call", data__method="POST").exists(), "not even the write's call"
    assert not RecordLink.objects.filter(integration=setup).exists()
    assert WriteLedger.objects.get(integration=setup).state == WriteLedger.State.PENDING, "as before the call"
    lost = AuditEvent.objects.get(kind="job.lease_lost")
    assert lost.job is None and lost.data["job"] == str(job.uuid), "audited beside the timeline, not on it"

    with claims.running(taken):
        assert engine.run_claimed(taken) == "succeeded"
    assert len(organizations(sandbox)) == 1, "the write is idempotent: the new owner's lands on the same one"
    assert AuditEvent.objects.filter(job=job, kind="job.written").count() == 1
    assert RecordLink.objects.filter(integration=setup).count() == 1


def test_a_long_running_job_keeps_its_lease_through_renewals(setup, sandbox, clock, monkeypatch, settings):
    settings.SYNC_LEASE_SECONDS = 60
    job = job_for_new_client(setup, sandbox)
    rivals = []
    # Three calls of 35 s each: 105 s in all, almost twice the lease.
    slow_calls(monkeypatch, clock, 35, during=lambda: rivals.append(engine.claim(job.pk)))
    assert engine.run(job.pk) == "succeeded"
    assert len(rivals) == 3 and rivals == [None, None, None], "never claimable while it ran"
    job.refresh_from_db()
    assert job.attempts == 1 and not AuditEvent.objects.filter(kind="job.lease_lost").exists()


def test_a_killed_workers_job_is_taken_over_after_the_short_lease(setup, sandbox, clock):
    job = job_for_new_client(setup, sandbox)
    assert engine.claim(job.pk, owner="dead-worker") is not None  # the process dies here and renews nothing
    clock.advance(59)
    assert engine.sweep()["reclaimed"] == 0
    clock.advance(2)
    assert engine.sweep()["reclaimed"] == 1, "a minute, not five"
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2
    assert len(organizations(sandbox)) == 1


def renewals(queries) -> list[str]:
    """The UPDATEs that set a job's lease expiry and nothing else."""
    sets = [q["sql"].split(" WHERE ")[0] for q in queries]
    return [s for s in sets if s.startswith('UPDATE "syncs_syncjob" SET "lease_expires_at"') and "," not in s]


def test_a_heartbeat_costs_one_update_per_renewal_and_nothing_between(setup, sandbox, clock, monkeypatch, settings):
    settings.SYNC_LEASE_SECONDS = 60
    engine.run(job_for_new_client(setup, sandbox, "Warm-up").pk)  # the first run reads what later ones reuse
    with CaptureQueriesContext(db) as quick:
        assert engine.run(job_for_new_client(setup, sandbox, "Quick").pk) == "succeeded"
    slow_calls(monkeypatch, clock, 25)
    with CaptureQueriesContext(db) as slow:
        assert engine.run(job_for_new_client(setup, sandbox, "Slow").pk) == "succeeded"
    assert renewals(quick.captured_queries) == [], "a job quicker than a third of its lease renews nothing"
    # Three calls of 25 s: after each, more than a third of the 60 s lease has passed since the last renewal.
    assert len(renewals(slow.captured_queries)) == 3
    assert len(slow.captured_queries) - len(quick.captured_queries) == 3, "each renewal is one UPDATE, no more"


def test_an_outcome_that_finds_the_job_no_longer_ours_is_not_recorded(setup, sandbox, clock):
    """Someone put the job back while it ran (an operator, a takeover): its runner writes no outcome, and says so."""
    job = job_for_new_client(setup, sandbox)
    claimed = engine.claim(job.pk)
    SyncJob.objects.filter(pk=job.pk).update(status="pending", lease_owner="", next_attempt_at=timezone.now())
    ctx = engine.Context(claimed, setup)
    with pytest.raises(Exception, match="taken over"):
        engine.retry_later(claimed, ctx, 5, "a short wait")
    assert not AuditEvent.objects.filter(job=job, kind="job.retry_scheduled").exists()


class SlowToPrepare(InBulk):
    """A bulk target whose source is slow: each record takes 25 s to read, and `meanwhile(flow)` runs then."""

    def __init__(self, clock, meanwhile):
        super().__init__()
        self.clock, self.meanwhile, self.reads, self.taken = clock, meanwhile, 0, {}

    def fetch(self, ctx, ref):
        self.reads += 1
        self.clock.advance(25)
        self.meanwhile(self)
        return super().fetch(ctx, ref)

    def write_many(self, ctx, writes):
        return [f"{mapped.part}-{mapped.payload.get('amount', 'a')}" for mapped, _ in writes]


def batch_of(monkeypatch, flow, count):
    with scopes_disabled():
        integration = installed(monkeypatch, flow)
        for n in range(1, count + 1):
            event = InboundEvent.objects.create(
                tenant=integration.tenant,
                connection=integration.source,
                provider="freshbooks",
                event_name="invoice.update",
                object_type="invoice",
                object_id=str(n),
                dedupe_key=f"k{n}",
            )
            engine.jobs_for_event(event, wake=False)
    return integration


def test_every_job_of_a_batch_keeps_its_lease_while_the_batch_is_prepared(db, monkeypatch, clock, settings):
    settings.SYNC_LEASE_SECONDS = 60

    def rival(flow):  # another worker tries every job of the batch still running
        for pk in SyncJob.objects.filter(status="running").values_list("pk", flat=True):
            flow.taken[pk] = flow.taken.get(pk) or engine.claim(pk)

    flow = SlowToPrepare(clock, rival)
    integration = batch_of(monkeypatch, flow, 6)  # 150 s of reading: more than twice the lease
    with scope(tenant=integration.tenant):
        assert engine.run_batch(integration.pk) == 6
        assert len(flow.taken) >= 5 and set(flow.taken.values()) == {None}, "none was claimable while it waited"
        assert set(SyncJob.objects.values_list("status", "attempts")) == {("succeeded", 1)}


def test_a_job_of_a_batch_taken_over_leaves_the_batch_and_the_others_go_on(db, monkeypatch, clock, settings):
    settings.SYNC_LEASE_SECONDS = 60

    def stall(flow):  # reading the third record stalls the worker past the lease; another worker takes job 5
        if flow.reads == 3:
            flow.clock.advance(61)
            flow.taken[5] = engine.claim(SyncJob.objects.get(source_id="5").pk)

    flow = SlowToPrepare(clock, stall)
    integration = batch_of(monkeypatch, flow, 6)
    with scope(tenant=integration.tenant):
        assert engine.run_batch(integration.pk) == 6
        assert flow.taken[5] is not None
        statuses = dict(SyncJob.objects.values_list("source_id", "status"))
        assert statuses == {**{str(n): "succeeded" for n in (1, 2, 3, 4, 6)}, "5": "running"}
        job = SyncJob.objects.get(source_id="5")
        assert job.lease_owner == flow.taken[5].lease_owner, "left to its new owner"
        assert not AuditEvent.objects.filter(job=job).exists(), "nothing on its timeline"
        assert AuditEvent.objects.filter(kind="job.lease_lost", data__job=str(job.uuid)).count() == 1
