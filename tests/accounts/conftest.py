import re

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


def link_in(message, path_prefix: str) -> str:
    """The path of the first link in an e-mail whose path starts with `path_prefix`."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S+)", message.body)
    assert match, f"no {path_prefix} link in: {message.body}"
    return match.group(1)


@pytest.fixture
def other():
    """A second browser: `client_a` is pytest-django's `client`, logged in."""
    from django.test import Client

    return Client()
