import pytest
from django.core.cache import cache
from django_scopes import scopes_disabled

from tests.factories import MembershipFactory


@pytest.fixture(autouse=True)
def fresh_cache(db):
    """Login throttling counts in the cache, which outlives a test's transaction on Redis."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin_a(tenant_a):
    with scopes_disabled():
        return MembershipFactory(tenant=tenant_a, role="admin").user


@pytest.fixture
def signup_on(settings):
    settings.ALLOW_SIGNUP = True


@pytest.fixture
def other():
    """A second browser: `client_a` is pytest-django's `client`, logged in."""
    from django.test import Client

    return Client()
