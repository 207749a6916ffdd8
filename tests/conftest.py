"""Shared fixtures: two tenants with their people, and clients logged in as them.

django-scopes: the test database is built with scopes disabled; fixtures build rows under
`scopes_disabled()`, while the code under test runs its real scoped path.
"""

import pytest
from django.test import utils
from django_scopes import scopes_disabled

from tests.factories import ConnectionFactory, MembershipFactory, TenantFactory, UserFactory

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
