"""Deleting an integration is not an accident away from losing its history: it is archived, and only an
owner deletes an archived one for good, confirming with its uuid. The audit trail stays either way."""

import pytest
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

from audit.models import AuditEvent
from connections.models import Integration
from syncs.models import SyncJob
from tests.factories import IntegrationFactory, MembershipFactory


@pytest.fixture
def integration_a(tenant_a, connection_a):
    with scopes_disabled():
        integration = IntegrationFactory(tenant=tenant_a, source=connection_a, enabled=True)
        SyncJob.objects.create(
            tenant=tenant_a, integration=integration, source_type="invoice", source_id="1", trigger="webhook"
        )
    return integration


def api_as(tenant, role):
    api = APIClient()
    with scopes_disabled():
        api.force_authenticate(MembershipFactory(tenant=tenant, role=role).user)
    return api


def test_delete_archives_and_keeps_every_job(tenant_a, integration_a):
    api = api_as(tenant_a, "admin")
    assert api.delete(f"/api/v1/integrations/{integration_a.uuid}/").status_code == 204
    with scope(tenant=tenant_a):
        integration = Integration.objects.get(pk=integration_a.pk)
        assert integration.archived_at is not None and not integration.enabled
        assert SyncJob.objects.filter(integration=integration).count() == 1
        assert AuditEvent.objects.filter(kind="integration.archived", integration=integration).exists()
    listed = [i["uuid"] for i in api.get("/api/v1/integrations/").json()["results"]]
    assert str(integration_a.uuid) not in listed
    archived = [i["uuid"] for i in api.get("/api/v1/integrations/?archived=true").json()["results"]]
    assert str(integration_a.uuid) in archived


def test_an_archived_integration_cannot_be_enabled_until_restored(tenant_a, integration_a):
    api = api_as(tenant_a, "admin")
    api.delete(f"/api/v1/integrations/{integration_a.uuid}/")
    refused = api.patch(f"/api/v1/integrations/{integration_a.uuid}/", {"enabled": True}, format="json")
    assert refused.status_code == 400 and "restore it" in str(refused.json())
    restored = api.post(f"/api/v1/integrations/{integration_a.uuid}/restore/")
    assert restored.status_code == 200 and restored.json()["archived_at"] is None


@pytest.mark.parametrize(
    ("role", "archived", "confirm", "status"),
    [
        ("admin", True, "uuid", 403),  # admins archive; only owners delete for good
        ("owner", False, "uuid", 409),  # archive first
        ("owner", True, "wrong", 400),  # confirmed with the wrong value
    ],
)
def test_deleting_for_good_is_refused_unless_an_owner_confirms_an_archived_one(
    tenant_a, integration_a, role, archived, confirm, status
):
    if archived:
        api_as(tenant_a, "admin").delete(f"/api/v1/integrations/{integration_a.uuid}/")
    value = str(integration_a.uuid) if confirm == "uuid" else confirm
    response = api_as(tenant_a, role).delete(
        f"/api/v1/integrations/{integration_a.uuid}/?permanently=true&confirm={value}"
    )
    assert response.status_code == status
    with scope(tenant=tenant_a):
        assert Integration.objects.filter(pk=integration_a.pk).exists()


def test_an_owner_deletes_an_archived_integration_for_good_and_the_trail_stays(tenant_a, integration_a):
    owner = api_as(tenant_a, "owner")
    owner.delete(f"/api/v1/integrations/{integration_a.uuid}/")
    response = owner.delete(f"/api/v1/integrations/{integration_a.uuid}/?permanently=true&confirm={integration_a.uuid}")
    assert response.status_code == 204
    with scope(tenant=tenant_a):
        assert not Integration.objects.filter(pk=integration_a.pk).exists()
        [deleted] = AuditEvent.objects.filter(kind="integration.deleted")
        assert deleted.data["jobs"] == 1
        assert AuditEvent.objects.filter(kind="integration.archived").exists()


def test_another_tenants_integration_cannot_be_archived_or_restored(tenant_b, integration_a):
    api = api_as(tenant_b, "owner")
    assert api.delete(f"/api/v1/integrations/{integration_a.uuid}/").status_code == 404
    assert api.post(f"/api/v1/integrations/{integration_a.uuid}/restore/").status_code == 404


def test_the_page_archives_hides_and_restores(tenant_a, integration_a, client_a):
    client_a.post(f"/integrations/{integration_a.uuid}/", {"action": "archive"})
    assert str(integration_a.uuid) not in client_a.get("/integrations/").content.decode()
    page = client_a.get(f"/integrations/{integration_a.uuid}/").content.decode()
    assert "Archived" in page and 'value="restore"' in page
    client_a.post(f"/integrations/{integration_a.uuid}/", {"action": "enable"})
    with scope(tenant=tenant_a):
        assert not Integration.objects.get(pk=integration_a.pk).enabled
    client_a.post(f"/integrations/{integration_a.uuid}/", {"action": "restore"})
    assert str(integration_a.uuid) in client_a.get("/integrations/").content.decode()
