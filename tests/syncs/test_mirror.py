"""The mirror of Zendesk organizations: a full load, webhooks, and the incremental export, through the emulator."""

from datetime import timedelta

import pytest

from connections.management.commands.setup_schedules import SCHEDULES
from syncs import mirror, review, tasks
from syncs.ingest import events
from syncs.models import InboundEvent, MirrorState, RemoteRecord


@pytest.fixture(autouse=True)
def fresh_indexes():
    review.forget_indexes()
    yield
    review.forget_indexes()


def zendesk(sandbox):
    return sandbox["zendesk"].account("acme")


def rows(integration, **filters):
    return RemoteRecord.objects.filter(connection=integration.target, record_type="organization", **filters)


def zendesk_event(integration, name, org_id, key):
    return InboundEvent.objects.create(
        tenant=integration.tenant,
        connection=integration.target,
        provider="zendesk",
        event_name=name,
        object_type="organization",
        object_id=str(org_id),
        dedupe_key=key,
    )


def test_a_full_load_reads_every_page_into_the_mirror(setup, sandbox):
    for number in range(230):
        zendesk(sandbox).create_organization({"name": f"Customer {number} Ltd", "external_id": f"x-{number}"})
    assert mirror.load(setup.target, "organization") == 230
    assert rows(setup).count() == 230
    row = rows(setup).get(name="Customer 7 Ltd")
    assert row.normalised_name == "customer 7" and row.external_id == "x-7" and row.remote_updated_at
    state = MirrorState.objects.get(connection=setup.target)
    assert state.status == "ready" and state.loaded == 230 and state.watermark
    pages = [e for e in sandbox["zendesk"].journal.entries(kind="request") if "/organizations.json" in e.url]
    assert len(pages) == 3


def test_a_second_load_marks_records_gone_from_the_target_as_deleted(setup, sandbox, clock):
    kept = zendesk(sandbox).create_organization({"name": "Kept"})
    gone = zendesk(sandbox).create_organization({"name": "Gone"})
    mirror.load(setup.target, "organization")
    zendesk(sandbox).delete_organization(gone.id)
    clock.advance(60)
    mirror.load(setup.target, "organization")
    assert set(rows(setup, deleted=False).values_list("remote_id", flat=True)) == {str(kept.id)}
    assert rows(setup, deleted=True).get().remote_id == str(gone.id)


def test_enabling_loads_the_mirror_before_the_backlog_is_matched(setup, sandbox):
    zendesk(sandbox).create_organization({"name": "Acme Corporation"})
    tasks.poll_integration(setup.pk, backfill=True)
    assert rows(setup).get().name == "Acme Corporation"


def test_webhook_events_refresh_the_mirror_before_jobs_are_made(setup, sandbox):
    org = zendesk(sandbox).create_organization({"name": "Acme Corporation"})
    events.process(zendesk_event(setup, "organization.created", org.id, "e1"))
    assert rows(setup).get().name == "Acme Corporation"
    zendesk(sandbox).update_organization(org.id, {"name": "Acme Holdings", "external_id": "fb-1"})
    events.process(zendesk_event(setup, "organization.name_changed", org.id, "e2"))
    row = rows(setup).get()
    assert (row.name, row.normalised_name, row.external_id) == ("Acme Holdings", "acme holdings", "fb-1")
    zendesk(sandbox).delete_organization(org.id)
    events.process(zendesk_event(setup, "organization.deleted", org.id, "e3"))
    assert rows(setup).get().deleted


def test_a_record_created_a_minute_ago_is_matched_without_an_api_call(setup, sandbox):
    from syncs import engine

    org = zendesk(sandbox).create_organization({"name": "Initech LLC"})
    events.process(zendesk_event(setup, "organization.created", org.id, "e1"))
    calls = len(sandbox["zendesk"].journal.entries(kind="request"))
    ctx = engine.Context(None, setup)
    assert review.match_or_review(
        ctx, source_type="client", source_id="1", name="Initech, Inc.", record_type="organization"
    ) == (
        str(org.id),
        "exact",
    )
    assert len(sandbox["zendesk"].journal.entries(kind="request")) == calls


def test_a_deleted_record_already_gone_on_the_target_is_marked_deleted(setup, sandbox):
    org = zendesk(sandbox).create_organization({"name": "Short Lived"})
    mirror.load(setup.target, "organization")
    zendesk(sandbox).delete_organization(org.id)
    events.process(zendesk_event(setup, "organization.name_changed", org.id, "late"))
    assert rows(setup).get().deleted


def test_polling_reads_the_incremental_export_from_the_watermark(setup, sandbox, clock):
    org = zendesk(sandbox).create_organization({"name": "Before"})
    mirror.load(setup.target, "organization")
    clock.advance(120)
    zendesk(sandbox).update_organization(org.id, {"name": "After"})
    added = zendesk(sandbox).create_organization({"name": "Newcomer"})
    clock.advance(120)
    assert tasks.poll_mirrors() == 1, "one task per mirror"
    assert rows(setup).get(remote_id=str(org.id)).name == "After"
    assert rows(setup).get(remote_id=str(added.id)).name == "Newcomer"
    exports = [e for e in sandbox["zendesk"].journal.entries(kind="request") if "/incremental/" in e.url]
    assert exports and all(e.status == 200 for e in exports)


def test_polling_a_mirror_never_loaded_loads_it_whole(setup, sandbox):
    zendesk(sandbox).create_organization({"name": "Acme"})
    assert mirror.poll(setup.target, "organization") == 1
    assert MirrorState.objects.get().status == "ready"


def test_the_mirror_is_polled_on_a_schedule():
    assert ("poll-mirrors", "syncs.tasks.poll_mirrors", 5) in SCHEDULES


def freshbooks_event(integration, name, client_id, key):
    return InboundEvent.objects.create(
        tenant=integration.tenant,
        connection=integration.source,
        provider="freshbooks",
        event_name=name,
        object_type="client",
        object_id=str(client_id),
        dedupe_key=key,
    )


def test_source_customers_are_mirrored_only_once_loaded_then_kept_fresh_by_their_webhooks(setup, sandbox):
    from tests.helpers.sandboxes import ACCOUNT

    first = sandbox["freshbooks"].create(ACCOUNT, "client", {"organization": "Acme Corp", "email": "ap@acme.example"})
    events.process(freshbooks_event(setup, "client.create", first["id"], "f1"))
    assert not RemoteRecord.objects.filter(connection=setup.source).exists()  # not mirrored: no extra call
    assert mirror.load(setup.source, "client") == 1
    second = sandbox["freshbooks"].create(ACCOUNT, "client", {"fname": "Ann", "lname": "Lee", "email": "ann@x.example"})
    events.process(freshbooks_event(setup, "client.create", second["id"], "f2"))
    row = RemoteRecord.objects.get(connection=setup.source, remote_id=str(second["id"]))
    assert (row.name, row.emails) == ("Ann Lee", ["ann@x.example"]) and row.remote_updated_at.tzinfo is not None


def test_a_target_that_cannot_be_read_holds_the_backlog_back_and_says_so(setup, sandbox):
    from audit.models import AuditEvent
    from connections.providers.errors import Retryable

    def unreadable(connection, **kwargs):
        raise Retryable("Zendesk answered 503.", provider="zendesk")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("connections.providers.zendesk.client.organizations_page", unreadable)
        assert tasks.poll_integration(setup.pk, backfill=True) == 0
    setup.refresh_from_db()
    assert setup.backfill["status"] == "failed" and "503" in setup.backfill["error"]
    assert MirrorState.objects.get().status == "failed"
    assert AuditEvent.objects.get(kind="backfill.failed").level == "error"


def test_a_mirror_refresh_that_fails_is_recorded_not_only_logged(setup, sandbox):
    from audit.models import AuditEvent

    org = zendesk(sandbox).create_organization({"name": "Acme Corporation"})
    sandbox["zendesk"].faults.update({"error_rate": 1, "error_status": 403}, sandbox.clock.now())
    events.process(zendesk_event(setup, "organization.created", org.id, "e1"))
    sandbox["zendesk"].faults.update({"error_rate": 0}, sandbox.clock.now())
    [failed] = AuditEvent.objects.filter(kind="mirror.refresh_failed", connection=setup.target)
    assert failed.level == "warning" and f"organization {org.id}" in failed.message
    assert failed.target_ref == f"organization:{org.id}"


def test_polling_resumes_from_zendesks_clock_when_ours_is_ahead(setup, sandbox, clock):
    """Our clock ten minutes ahead of Zendesk's: a watermark taken from ours asked the export to start after
    changes Zendesk had stamped earlier, and they were never mirrored."""
    clock.now += timedelta(seconds=600)  # ours only: Zendesk's clock stays behind
    org = zendesk(sandbox).create_organization({"name": "Before"})
    mirror.load(setup.target, "organization")
    clock.advance(120)
    zendesk(sandbox).update_organization(org.id, {"name": "After"})
    clock.advance(120)
    tasks.poll_mirrors()
    assert rows(setup).get(remote_id=str(org.id)).name == "After"
    clock.advance(120)
    zendesk(sandbox).update_organization(org.id, {"name": "Later"})
    clock.advance(120)
    tasks.poll_mirrors()
    assert rows(setup).get(remote_id=str(org.id)).name == "Later"
