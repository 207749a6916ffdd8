"""The scheduled mirror poll goes through every tenant's mirrors: one that fails is marked, the rest are polled."""

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone
from django_scopes import scopes_disabled

from audit.models import AuditEvent
from connections.models import Connection
from connections.providers.zendesk import client as zendesk_client
from syncs import tasks
from syncs.models import MirrorState, RemoteRecord
from tests.factories import TenantFactory
from tests.helpers.sandboxes import zendesk_connection


def mirrored(sandbox, name, subdomain):
    """A Zendesk connection of its own tenant whose organizations were loaded into the mirror a while ago."""
    connection = zendesk_connection(sandbox, TenantFactory(name=name), subdomain=subdomain)
    with scopes_disabled():
        MirrorState.objects.create(
            tenant=connection.tenant,
            connection=connection,
            record_type="organization",
            status=MirrorState.Status.READY,
            watermark=timezone.now(),
        )
    return connection


@pytest.fixture
def two_tenants(sandbox, db, clock):
    """The broken mirror first, so a loop that stops at it would never reach the healthy one."""
    broken = mirrored(sandbox, "Broken Ltd", "broken")
    healthy = mirrored(sandbox, "Healthy Ltd", "acme")
    clock.advance(120)
    sandbox["zendesk"].account("acme").create_organization({"name": "Newcomer"})
    clock.advance(120)
    return broken, healthy


def plain(connection):
    with scopes_disabled():
        return Connection.objects.filter(pk=connection.pk).values("status", "last_error", "error_source").get()


def polled(connection):
    with scopes_disabled():
        return list(RemoteRecord.objects.filter(connection=connection).values_list("name", flat=True))


def failed_events(connection):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(kind="connection.failed", connection_id=connection.pk))


def test_a_secret_no_key_decrypts_marks_its_connection_and_the_other_mirrors_are_polled(two_tenants, settings):
    broken, healthy = two_tenants
    keys = settings.FIELD_ENCRYPTION_KEY
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    with scopes_disabled():
        Connection.objects.filter(pk=broken.pk).update(access_token="written-with-a-key-since-removed")
    settings.FIELD_ENCRYPTION_KEY = keys

    assert tasks.poll_mirrors() == 2, "each mirror polled by a task of its own"

    assert polled(healthy) == ["Newcomer"]
    marked = plain(broken)
    assert marked["status"] == "error" and marked["error_source"] == "mirror_poll"
    assert "FIELD_ENCRYPTION_KEY" in marked["last_error"]
    [event] = failed_events(broken)
    assert event.level == "error" and "Connection.access_token" in event.message


def test_an_unexpected_error_in_one_mirror_marks_that_connection_only_and_a_later_success_clears_it(
    two_tenants, monkeypatch
):
    broken, healthy = two_tenants
    real = zendesk_client.organizations_changed_since

    def changes(connection, start):
        if connection.pk == broken.pk:
            raise ValueError("an export page of a shape the code did not expect")
        return real(connection, start)

    monkeypatch.setattr(zendesk_client, "organizations_changed_since", changes)
    assert tasks.poll_mirrors() == 2
    assert polled(healthy) == ["Newcomer"]
    marked = plain(broken)
    assert marked["status"] == "error" and "ValueError" in marked["last_error"]
    assert "shape" not in marked["last_error"], "an unexpected error's text is not shown: it may hold anything"
    assert len(failed_events(broken)) == 1

    monkeypatch.setattr(zendesk_client, "organizations_changed_since", real)
    tasks.poll_mirrors()
    assert plain(broken) == {"status": "active", "last_error": "", "error_source": ""}
