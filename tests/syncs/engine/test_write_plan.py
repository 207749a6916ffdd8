"""A source record that becomes several target records: parts written in order, each once, resumed after a crash."""

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from connections.models import Integration
from connections.providers.errors import Invalid, Retryable
from connections.registry import FLOWS
from syncs import engine
from syncs.flows.base import Flow, Mapped, Plan, SourceRef
from syncs.models import InboundEvent, RecordLink, SyncJob, WriteLedger
from tests.factories import ConnectionFactory, TenantFactory

pytestmark = pytest.mark.django_db


class TwoParts(Flow):
    """An invoice becomes its client's account, then a deal that points at it (Salesforce's shape)."""

    slug = "test_two_parts"
    name = "two-part test flow"
    source_provider = "freshbooks"
    target_provider = "zendesk"
    listens_to = frozenset({"invoice.update"})
    source_record_type, target_record_type = "client", "account"

    def __init__(self):
        self.writes, self.fail_on, self.amount = [], set(), 100

    def fetch(self, ctx, ref):
        return {"id": ref.id, "client": "c1", "amount": self.amount}

    def map(self, ctx, record):
        account = Mapped("account", {"name": "Acme"}, source=SourceRef("client", record["client"]))
        deal = Mapped("deal", {"amount": record["amount"], "account": "c1"})
        return Plan([account, deal], summary="Acme and its deal")

    def write(self, ctx, mapped, target_id):
        if mapped.part in self.fail_on:
            self.fail_on.discard(mapped.part)
            raise Retryable("the connection dropped")
        self.writes.append(mapped.part)
        return f"{mapped.part}-1"


def installed(monkeypatch, flow):
    """The flow registered, and an enabled integration of it between two connections of a new tenant."""
    monkeypatch.setattr(f"{__name__}.FLOW", flow, raising=False)
    monkeypatch.setitem(FLOWS, TwoParts.slug, f"{__name__}.FLOW")
    tenant = TenantFactory()
    with scopes_disabled():
        source = ConnectionFactory(tenant=tenant, provider="freshbooks", addresses={"account_id": "A1"})
        target = ConnectionFactory(tenant=tenant, provider="zendesk", addresses={"subdomain": "x"})
        integration = Integration.objects.create(
            tenant=tenant, kind=TwoParts.slug, source=source, target=target, enabled=True
        )
    return integration


@pytest.fixture
def two_parts(monkeypatch):
    flow = TwoParts()
    integration = installed(monkeypatch, flow)
    with scope(tenant=integration.tenant):
        yield flow, integration


def run_event(integration, key):
    event = InboundEvent.objects.create(
        tenant=integration.tenant,
        connection=integration.source,
        provider="freshbooks",
        event_name="invoice.update",
        object_type="invoice",
        object_id="9",
        dedupe_key=key,
    )
    [job] = engine.jobs_for_event(event, wake=False)
    engine.run(job.pk)
    job.refresh_from_db()
    return job


def test_parts_are_written_in_order_and_the_account_part_is_the_clients_identity(two_parts):
    flow, integration = two_parts
    job = run_event(integration, "a")
    assert job.status == SyncJob.Status.SUCCEEDED
    assert flow.writes == ["account", "deal"]
    assert [p["outcome"] for p in job.result["parts"]] == ["created", "created"]
    link = RecordLink.objects.get(integration=integration)
    assert (link.source_type, link.source_id, link.target_id) == ("client", "c1", "account-1")
    rows = {(r.source_type, r.source_id, r.part): r.state for r in WriteLedger.objects.filter(integration=integration)}
    assert rows == {("client", "c1", "account"): "written", ("invoice", "9", "deal"): "written"}


def test_a_crash_between_the_parts_resumes_at_the_part_that_failed(two_parts):
    flow, integration = two_parts
    flow.fail_on = {"deal"}
    job = run_event(integration, "a")
    assert job.status == SyncJob.Status.PENDING and flow.writes == ["account"]
    assert WriteLedger.objects.get(part="deal").state == WriteLedger.State.PENDING

    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    engine.run(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert flow.writes == ["account", "deal"], "the account was not written again"
    assert [p["outcome"] for p in job.result["parts"]] == ["unchanged", "created"]


def test_an_unchanged_plan_writes_nothing_and_a_changed_part_alone_is_written(two_parts):
    flow, integration = two_parts
    run_event(integration, "a")
    again = run_event(integration, "b")
    assert again.result["outcome"] == "unchanged" and flow.writes == ["account", "deal"]
    flow.amount = 250
    changed = run_event(integration, "c")
    assert flow.writes == ["account", "deal", "deal"]
    assert [p["outcome"] for p in changed.result["parts"]] == ["unchanged", "updated"]


class InBulk(TwoParts):
    """The same plan, written by a target that takes many records per call."""

    batch_size = 200

    def __init__(self):
        super().__init__()
        self.calls = []

    def fetch(self, ctx, ref):
        return {"id": ref.id, "client": f"c{int(ref.id) % 2}", "amount": int(ref.id)}

    def map(self, ctx, record):
        account = Mapped("account", {"name": record["client"]}, source=SourceRef("client", record["client"]))
        return Plan([account, Mapped("deal", {"amount": record["amount"]})])

    def write_many(self, ctx, writes):
        self.calls.append([mapped.part for mapped, _ in writes])
        if any(mapped.payload.get("amount") == 3 for mapped, _ in writes):
            return [
                Retryable("this one was refused") if m.payload.get("amount") == 3 else f"{m.part}-{i}"
                for i, (m, _) in enumerate(writes)
            ]
        return [f"{mapped.part}-{i}" for i, (mapped, _) in enumerate(writes)]


def test_a_batch_writes_each_kind_of_part_in_one_call_and_a_refused_record_retries_alone(monkeypatch):
    flow = InBulk()
    integration = installed(monkeypatch, flow)
    tenant, source = integration.tenant, integration.source
    with scope(tenant=tenant):
        for n in range(1, 6):
            event = InboundEvent.objects.create(
                tenant=tenant,
                connection=source,
                provider="freshbooks",
                event_name="invoice.update",
                object_type="invoice",
                object_id=str(n),
                dedupe_key=f"k{n}",
            )
            engine.jobs_for_event(event, wake=False)
        assert engine.run_batch(integration.pk) == 5
        assert flow.calls == [["account", "account"], ["deal"] * 5], "two clients' Accounts once each, then 5 deals"
        statuses = dict(SyncJob.objects.values_list("source_id", "status"))
        assert statuses == {"1": "succeeded", "2": "succeeded", "3": "pending", "4": "succeeded", "5": "succeeded"}
        assert RecordLink.objects.filter(integration=integration).count() == 2


class Keyed(TwoParts):
    """Keeps the idempotency key and the first attempt's time each write was given."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def write(self, ctx, mapped, target_id):
        if mapped.part == "deal":
            self.seen.append((mapped.extra["idempotency_key"], mapped.extra["pending_since"]))
        return super().write(ctx, mapped, target_id)


def test_an_idempotency_key_is_stable_across_retries_and_new_when_the_content_changes(monkeypatch, clock):
    flow = Keyed()
    integration = installed(monkeypatch, flow)
    with scope(tenant=integration.tenant):
        flow.fail_on = {"deal"}
        job = run_event(integration, "a")
        clock.advance(3600)
        flow.fail_on = {"deal"}
        SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
        engine.run(job.pk)
        SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
        engine.run(job.pk)
        (first, none), (second, since), (third, since_again) = flow.seen
        assert first == second == third, "the same content keeps its key"
        assert none is None and since is not None and since == since_again, "the first attempt's time is kept"
        assert timezone.now() - since >= timezone.timedelta(seconds=3600)
        flow.amount = 999
        run_event(integration, "b")
        assert flow.seen[-1][0] != first, "new content, new key"


def test_after_a_refusal_the_fixed_write_is_a_new_attempt_with_a_new_key(monkeypatch, clock):
    """A target keeps a refusal under its key (Zuora does), so the same key after the fix would get the old
    refusal back: a write refused outright leaves no pending row, and its next try is a new attempt."""
    flow = Keyed()
    integration = installed(monkeypatch, flow)
    refused = {"deal"}
    original = TwoParts.write

    def write(self, ctx, mapped, target_id):
        if mapped.part in refused:
            self.seen.append((mapped.extra["idempotency_key"], mapped.extra["pending_since"]))
            refused.discard(mapped.part)
            raise Invalid("the target refused the amount")
        return original(self, ctx, mapped, target_id)

    monkeypatch.setattr(Keyed, "write", write)
    with scope(tenant=integration.tenant):
        job = run_event(integration, "a")
        assert job.status == SyncJob.Status.FAILED
        assert not WriteLedger.objects.filter(part="deal").exists(), "nothing is pending after a refusal"
        clock.advance(60)
        refused.add("deal")
        engine.replay(job)
        job = SyncJob.objects.filter(source_id="9").latest("pk")
        engine.run(job.pk)
        (first, first_since), (second, second_since) = flow.seen
        assert first != second and first_since is None and second_since is None


def test_a_refusal_never_clears_a_part_another_job_has_written_meanwhile(setup):
    """`unwritten` undoes this attempt's pending mark; a row another job completed in the meantime stays, or
    the next job would write that part again (a second Zuora invoice, refused or not)."""
    from syncs.engine import Context
    from syncs.models import WriteLedger

    ctx = Context(None, setup)
    ctx.writing("invoice", "7", "invoice", "invoice", None, "f1")
    ctx.wrote("invoice", "7", "invoice", "invoice", "zi-1", "f1")  # a sibling job landed it
    ctx.unwritten("invoice", "7", "invoice")
    assert WriteLedger.objects.get(source_type="invoice", source_id="7", part="invoice").target_id == "zi-1"
    ctx.writing("invoice", "8", "invoice", "invoice", None, "f1")
    ctx.unwritten("invoice", "8", "invoice")
    assert not WriteLedger.objects.filter(source_id="8").exists(), "this attempt's own pending mark is undone"
