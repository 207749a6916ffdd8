import pytest
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from tests.factories import IntegrationFactory

ADMIN_LISTS = [
    "/admin/connections/tenant/",
    "/admin/connections/membership/",
    "/admin/connections/connection/",
    "/admin/connections/integration/",
    "/admin/audit/auditevent/",
]


@pytest.fixture
def operator(client, db):
    user = get_user_model().objects.create_superuser("ops@example.com", "ops@example.com", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", ADMIN_LISTS)
def test_an_operator_sees_every_tenants_rows_with_a_tenant_filter(operator, connection_a, connection_b, path):
    with scopes_disabled():
        IntegrationFactory(tenant=connection_a.tenant, source=connection_a)
    response = operator.get(path)
    assert response.status_code == 200
    if path != "/admin/connections/tenant/":
        assert b"By tenant" in response.content


def test_the_connection_admin_never_shows_a_secret(operator, connection_a):
    page = operator.get(f"/admin/connections/connection/{connection_a.pk}/change/").content.decode()
    assert "access token" in page
    assert connection_a.access_token not in page
    assert connection_a.refresh_token not in page


@pytest.mark.parametrize("path", [*ADMIN_LISTS, "/admin/connections/connection/{pk}/change/"])
def test_a_tenant_owner_cannot_use_the_operators_admin(client, owner_a, connection_b, path):
    owner_a.is_staff = True
    owner_a.save()
    client.force_login(owner_a)
    response = client.get(path.format(pk=connection_b.pk))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_audit_events_are_read_only_in_the_admin(operator, tenant_a):
    assert operator.get("/admin/audit/auditevent/add/").status_code == 403
