"""Shared fixtures: two tenants with their people, and clients logged in as them.

django-scopes: the test database is built with scopes disabled; fixtures build rows under
`scopes_disabled()`, while the code under test runs its real scoped path.
"""

from datetime import timedelta

import pytest
from django.test import utils
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from connections.models import Integration
from syncs import engine
from syncs.models import SyncJob
from tests.factories import ConnectionFactory, MembershipFactory, TenantFactory, UserFactory
from tests.helpers.sandboxes import event_for, freshbooks_connection, new_client, zendesk_connection
from tests.syncs.sample_flow import FLOW

utils.setup_databases = scopes_disabled()(utils.setup_databases)

# The `sandbox` fixture: provider emulators answering `requests` calls in process.
pytest_plugins = ["connections.sandbox.pytest_plugin"]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Counters and pauses live in the cache; with Redis it outlives a test's rolled-back transaction."""
    from django.conf import settings
    from django.core.cache import cache

    if settings.CACHES["default"]["BACKEND"].endswith("db.DatabaseCache"):
        yield  # a database cache is rolled back with each test's transaction
        return
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def unscoped():
    with scopes_disabled():
        yield


@pytest.fixture
def tenant_a(db):
    return TenantFactory(name="Acme Corp")


@pytest.fixture
def tenant_b(db):
    return TenantFactory(name="Globex")


@pytest.fixture
def owner_a(tenant_a):
    with scopes_disabled():
        return MembershipFactory(tenant=tenant_a, role="owner").user


@pytest.fixture
def agent_a(tenant_a):
    with scopes_disabled():
        return MembershipFactory(tenant=tenant_a, role="agent").user


@pytest.fixture
def owner_b(tenant_b):
    with scopes_disabled():
        return MembershipFactory(tenant=tenant_b, role="owner").user


@pytest.fixture
def outsider(db):
    """A logged-in user who belongs to no tenant."""
    return UserFactory()


@pytest.fixture
def client_a(client, owner_a):
    client.force_login(owner_a)
    return client


@pytest.fixture
def connection_b(tenant_b):
    with scopes_disabled():
        return ConnectionFactory(tenant=tenant_b, label="Globex books")


@pytest.fixture
def connection_a(tenant_a):
    with scopes_disabled():
        return ConnectionFactory(tenant=tenant_a, label="Acme books")


@pytest.fixture(autouse=True)
def test_registry(monkeypatch):
    """A source and a target provider and a flow between them, beside whatever is really registered."""
    from connections.registry import FLOWS, PROVIDERS, ProviderSpec

    monkeypatch.setitem(PROVIDERS, "testsource", ProviderSpec.declaration_only("tests.registry_doubles", "TEST_SOURCE"))
    monkeypatch.setitem(PROVIDERS, "testtarget", ProviderSpec.declaration_only("tests.registry_doubles", "TEST_TARGET"))
    monkeypatch.setitem(FLOWS, "test_flow", "tests.registry_doubles.TEST_FLOW")


# Both sandboxes connected, with a small test flow between them (the engine's, the operating pages' and the
# browser tests' ground) ---------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch, sandbox):
    """One fake 'now' for the app and the emulators, so waits can be checked without waiting."""

    class Clock:
        now = timezone.now()

        def advance(self, seconds):
            self.now += timedelta(seconds=seconds)
            sandbox.clock.advance(seconds)

    fake = Clock()
    sandbox.clock.advance(fake.now.timestamp() - sandbox.clock.now())
    monkeypatch.setattr(timezone, "now", lambda: fake.now)
    return fake


@pytest.fixture
def setup(sandbox, tenant_a, monkeypatch, clock):
    from connections.registry import FLOWS

    monkeypatch.setitem(FLOWS, FLOW.slug, "tests.syncs.sample_flow.FLOW")
    source = freshbooks_connection(sandbox, tenant_a, access_expires_at=timezone.now() + timedelta(days=30))
    target = zendesk_connection(sandbox, tenant_a)
    with scopes_disabled():
        integration = Integration.objects.create(
            tenant=tenant_a, kind=FLOW.slug, source=source, target=target, enabled=True
        )
    with scope(tenant=tenant_a):
        yield integration


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


def pytest_terminal_summary(terminalreporter):
    from tests.helpers.figures import LINES

    if LINES:
        terminalreporter.section("figures")
        for line in LINES:
            terminalreporter.write_line(line)
