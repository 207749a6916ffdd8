"""Operators' pages and API: a failed job, built by the real engine against the sandbox emulators."""

import pytest
from django_scopes import scopes_disabled

from syncs import engine
from syncs.models import SyncJob
from tests.factories import MembershipFactory
from tests.syncs import test_engine
from tests.syncs.test_engine import event_for, new_client

# The engine tests' fixtures: a fake clock shared with the emulators, and an enabled integration between them.
clock = test_engine.clock
setup = test_engine.setup


@pytest.fixture
def admin_a(tenant_a):
    with scopes_disabled():
        return MembershipFactory(tenant=tenant_a, role="admin").user


@pytest.fixture
def failed_job(setup, sandbox, clock):
    """A job that failed for good: Zendesk already has an organization of that name (HTTP 422)."""
    sandbox["zendesk"].account("acme").create_organization({"name": "Taken Name"})
    client = new_client(sandbox, "Taken Name")
    [job] = engine.jobs_for_event(event_for(setup, client["id"]))
    engine.run(job.pk)  # in a transactional test (the browser's), the queue ran it already on commit
    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED
    return job


@pytest.fixture
def succeeded_job(setup, sandbox, clock):
    client = new_client(sandbox, "Initech")
    [job] = engine.jobs_for_event(event_for(setup, client["id"]))
    engine.run(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    return job
