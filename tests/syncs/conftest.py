"""Fixtures of the sync tests: the FreshBooks -> Zendesk integration between the two connected sandboxes."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from connections.models import Integration
from connections.providers.freshbooks import subscriptions as freshbooks_webhooks
from connections.providers.zendesk import subscriptions as zendesk_webhooks
from syncs.flows.freshbooks_zendesk import SLUG
from tests.helpers.sandboxes import (
    drain,
    freshbooks_connection,
    salesforce_connection,
    zendesk_connection,
    zuora_connection,
)


@pytest.fixture
def fbzd(sandbox, tenant_a, client, clock, django_capture_on_commit_callbacks):
    """Both sandboxes connected, the integration on, and each side's webhooks registered with the app."""
    source = freshbooks_connection(sandbox, tenant_a, access_expires_at=timezone.now() + timedelta(days=30))
    target = zendesk_connection(sandbox, tenant_a)
    with scopes_disabled():
        integration = Integration.objects.create(tenant=tenant_a, kind=SLUG, source=source, target=target, enabled=True)
    sandbox.send_webhooks_to(client)
    with scope(tenant=tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            freshbooks_webhooks.register(source)
            sandbox.deliver()
        zendesk_webhooks.register(target)
        integration.refresh_from_db()
        yield integration


@pytest.fixture
def flush(sandbox, clock, django_capture_on_commit_callbacks):
    """Deliver every webhook both emulators owe the app, and run every job they cause, retries included."""

    def run():
        zendesk = sandbox["zendesk"]
        for _ in range(50):
            zendesk._send_events(zendesk.account("acme"))
            with django_capture_on_commit_callbacks(execute=True):
                sent = sandbox.deliver()
            drain(clock, rounds=2000)
            if not sent:
                return
        raise AssertionError("webhooks kept coming")

    return run


def from_freshbooks(sandbox, tenant, client, capture, kind, target):
    """FreshBooks connected, an integration of `kind` on to `target`, and FreshBooks' webhooks registered."""
    source = freshbooks_connection(sandbox, tenant, access_expires_at=timezone.now() + timedelta(days=30))
    with scopes_disabled():
        integration = Integration.objects.create(tenant=tenant, kind=kind, source=source, target=target, enabled=True)
    sandbox.send_webhooks_to(client)
    with scope(tenant=tenant):
        with capture(execute=True):
            freshbooks_webhooks.register(source)
            sandbox.deliver()
        integration.refresh_from_db()
        yield integration


@pytest.fixture
def fbsf(sandbox, tenant_a, client, clock, django_capture_on_commit_callbacks):
    """FreshBooks and Salesforce connected, the FreshBooks -> Salesforce integration on, FreshBooks webhooks in."""
    target = salesforce_connection(sandbox, tenant_a)
    capture = django_capture_on_commit_callbacks
    yield from from_freshbooks(sandbox, tenant_a, client, capture, "freshbooks_salesforce", target)


@pytest.fixture
def fbzu(sandbox, tenant_a, client, clock, django_capture_on_commit_callbacks):
    """FreshBooks and Zuora connected, the FreshBooks -> Zuora integration on, FreshBooks webhooks in."""
    target = zuora_connection(sandbox, tenant_a)
    yield from from_freshbooks(
        sandbox, tenant_a, client, django_capture_on_commit_callbacks, "freshbooks_zuora", target
    )
