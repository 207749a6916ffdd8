"""Audit events belong to the job (and inbound event) they were written for; failures are kept until resolved."""

import pytest
from django_scopes import scope, scopes_disabled

import audit
from audit import retention
from audit.models import AuditEvent
from audit.queries import filter_events
from syncs import engine
from tests.factories import ConnectionFactory


def test_every_event_of_a_run_names_its_job_and_inbound_event(succeeded_job):
    events = AuditEvent.objects.filter(job=succeeded_job)
    kinds = set(events.values_list("kind", flat=True))
    assert {"job.fetched", "job.mapped", "job.matched", "job.written", "api.call"} <= kinds
    assert set(events.values_list("event_id", flat=True)) == {succeeded_job.event_id}
    assert not AuditEvent.objects.filter(data__job=str(succeeded_job.uuid)).exclude(job=succeeded_job).exists()


def test_api_calls_outside_a_job_belong_to_none(setup):
    audit.record("api.call", tenant=setup.tenant, message="GET /x")
    assert AuditEvent.objects.get(kind="api.call").job is None


def test_the_running_job_is_not_lent_to_another_tenants_event(succeeded_job, tenant_b):
    with audit.for_job(succeeded_job), scopes_disabled():
        event = audit.record("api.call", tenant=tenant_b, message="GET /x")
    assert event.job is None


def test_a_failed_jobs_events_are_pinned_and_outlive_pruning(failed_job, clock):
    events = AuditEvent.objects.filter(job=failed_job)
    assert events.exists() and not events.filter(pinned=False).exists()
    clock.advance(200 * 86400)
    with scopes_disabled():
        retention.prune()
    assert AuditEvent.objects.filter(job=failed_job).count() == events.count()


def test_a_successful_replay_unpins_the_failure(failed_job, sandbox, clock):
    sandbox["zendesk"].account("acme").organizations.clear()
    dry = engine.replay(failed_job, dry_run=True)
    engine.run(dry.pk)
    assert AuditEvent.objects.filter(job=failed_job, pinned=False).count() == 0, "a dry run resolves nothing"
    replay = engine.replay(failed_job)
    assert engine.run(replay.pk) == "succeeded"
    assert not AuditEvent.objects.filter(job=failed_job, pinned=True).exists()


@pytest.fixture
def refs(tenant_a, unscoped):
    connection = ConnectionFactory(tenant=tenant_a)
    made = {}
    for name, source_ref, target_ref in [
        ("typed", "client:100001", None),
        ("bare", "100001", None),
        ("target", None, "organization:100001"),
        ("other type", "invoice:100001", None),
        ("other id", "client:1000011", None),
    ]:
        made[name] = audit.record(
            "api.call",
            tenant=tenant_a,
            connection=connection,
            message=name,
            source_ref=source_ref,
            target_ref=target_ref,
        )
    return made


def names(tenant, record):
    with scope(tenant=tenant):
        return sorted(e.message for e in filter_events(AuditEvent.objects.filter(tenant=tenant), record=record))


def test_a_typed_record_id_finds_exactly_that_record(tenant_a, refs):
    assert names(tenant_a, "client:100001") == ["typed"]
    assert names(tenant_a, "organization:100001") == ["target"]


def test_a_bare_record_id_finds_that_id_of_any_type(tenant_a, refs):
    assert names(tenant_a, "100001") == ["bare", "other type", "target", "typed"]
    assert names(tenant_a, "00001") == []


def test_an_invoices_job_keeps_the_fetched_record_once_in_full(sandbox, fbzd, flush, client, owner_a):
    """The mapping's input is the fetched record: `job.mapped` points at `job.fetched` instead of a copy."""
    import hashlib
    import json

    from syncs.models import SyncJob
    from tests.helpers.billing import fb_client, fb_invoice, mirror, zendesk_customer

    zendesk_customer(sandbox, "Acme Corporation")
    mirror(fbzd)
    customer = fb_client(sandbox, "Acme Corporation")
    for n in range(3):
        fb_invoice(sandbox, customer, f"{100 + n}.00", days_ago=10 - n)
    flush()
    job = SyncJob.objects.filter(source_type="invoice", status="succeeded").latest("pk")
    fetched = AuditEvent.objects.get(job=job, kind="job.fetched").data["record"]
    mapped = AuditEvent.objects.get(job=job, kind="job.mapped").data["input"]
    stored = json.dumps(fetched, sort_keys=True, ensure_ascii=False)
    assert mapped == {
        "same_as": "job.fetched",
        "bytes": len(stored.encode()),
        "sha256": hashlib.sha256(stored.encode()).hexdigest(),
    }
    client.force_login(owner_a)
    page = client.get(f"/jobs/{job.uuid}/").content.decode()
    assert "The fetched record above" in page
