"""Audit events at chosen moments, built like the fixtures in tests/conftest.py (unscoped)."""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from audit.models import AuditEvent
from tests.factories import ConnectionFactory, IntegrationFactory, MembershipFactory


@pytest.fixture
def make_event():
    """`make_event(tenant, hours_ago=2, kind=..., ...)`: an event written `hours_ago` hours ago (or `at`)."""

    def make(tenant, *, hours_ago=0, at=None, kind="api.call", message="GET /x: HTTP 200", **fields):
        with scopes_disabled():
            return AuditEvent.objects.create(
                tenant=tenant,
                created_at=at or timezone.now() - datetime.timedelta(hours=hours_ago),
                kind=kind,
                message=message,
                **fields,
            )

    return make


@pytest.fixture
def admin_a(tenant_a):
    with scopes_disabled():
        return MembershipFactory(tenant=tenant_a, role="admin").user


@pytest.fixture
def integration_a(tenant_a, connection_a):
    with scopes_disabled():
        return IntegrationFactory(tenant=tenant_a, source=connection_a)


@pytest.fixture
def integration_b(tenant_b, connection_b):
    with scopes_disabled():
        return IntegrationFactory(tenant=tenant_b, source=connection_b)


@pytest.fixture
def other_connection_a(tenant_a):
    with scopes_disabled():
        return ConnectionFactory(tenant=tenant_a, label="Acme desk", provider="testtarget")
