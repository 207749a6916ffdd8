"""A worker process killed with SIGKILL in the middle of a job: the job completes after its lease expires, once."""

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection as db
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from connections.models import Integration
from connections.registry import FLOWS
from syncs import engine
from syncs.flows.base import Flow, Mapped
from syncs.models import InboundEvent, RecordLink
from tests.factories import ConnectionFactory, TenantFactory

WRITES = []


class QuickFlow(Flow):
    slug = "test_killed_worker"
    name = "test flow for a killed worker"
    source_provider = "freshbooks"
    target_provider = "zendesk"
    listens_to = frozenset({"thing.update"})
    source_record_type, target_record_type = "thing", "widget"

    def fetch(self, ctx, ref):
        return {"id": ref.id, "name": "Thing"}

    def map(self, ctx, record):
        return Mapped("widget", {"name": record["name"]})

    def write(self, ctx, mapped, target_id):
        WRITES.append(mapped.payload)
        return "w-1"


QUICK_FLOW = QuickFlow()

# The worker: the same flow, but its fetch hangs, so it is killed while holding the job's lease.
WORKER = textwrap.dedent(
    """
    import sys, time, django
    django.setup()
    from django_scopes import scopes_disabled
    from connections.registry import FLOWS
    from syncs import engine
    from tests.syncs.engine.test_worker_killed import QuickFlow

    class Hanging(QuickFlow):
        def fetch(self, ctx, ref):
            print("fetching", flush=True)
            time.sleep(600)

    HANGING = Hanging()
    FLOWS[Hanging.slug] = "__main__.HANGING"
    with scopes_disabled():
        engine.run(int(sys.argv[1]))
    """
)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_with_sigkill_mid_job_is_taken_over_after_its_lease_and_writes_once(monkeypatch):
    if db.vendor != "postgresql":
        pytest.skip("the worker is a second process, so the database must be a server (runs in CI on PostgreSQL)")
    monkeypatch.setitem(FLOWS, QuickFlow.slug, "tests.syncs.engine.test_worker_killed.QUICK_FLOW")
    tenant = TenantFactory()
    with scopes_disabled():
        source = ConnectionFactory(tenant=tenant, provider="freshbooks", addresses={"account_id": "A1"})
        target = ConnectionFactory(tenant=tenant, provider="zendesk", addresses={"subdomain": "x"})
        integration = Integration.objects.create(
            tenant=tenant, kind=QuickFlow.slug, source=source, target=target, enabled=True
        )
        event = InboundEvent.objects.create(
            tenant=tenant,
            connection=source,
            provider="freshbooks",
            event_name="thing.update",
            object_type="thing",
            object_id="7",
            dedupe_key="k",
        )
    with scope(tenant=tenant):
        [job] = engine.jobs_for_event(event, wake=False)

    params = db.settings_dict
    database_url = f"postgres://{params['USER'] or 'postgres'}@{params['HOST']}:{params['PORT']}/{params['NAME']}"
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(job.pk)], cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout.readline().strip() == "fetching", "the worker claimed the job and is inside it"
        job.refresh_from_db()
        assert job.status == "running" and job.lease_owner
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()

    with scope(tenant=tenant):
        assert engine.run(job.pk) is None, "the dead worker's lease still holds"
    later = timezone.now() + timedelta(seconds=settings.SYNC_LEASE_SECONDS + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert engine.sweep()["reclaimed"] == 1
    job.refresh_from_db()
    if job.status != "succeeded":  # the sweeper's wake-up runs inline in tests; run it here otherwise
        with scope(tenant=tenant):
            engine.run(job.pk)
        job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2
    assert WRITES == [{"name": "Thing"}]
    with scopes_disabled():
        assert RecordLink.objects.filter(integration=integration).count() == 1
