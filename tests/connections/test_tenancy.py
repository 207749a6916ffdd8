import pytest
from django.http import Http404
from django_scopes import ScopeError, scope, scopes_disabled

from connections.models import Connection, Membership
from connections.tenancy import get_object_for_tenant
from tests.factories import MembershipFactory


def test_it_raises_on_an_unscoped_query_of_a_tenant_owned_model(connection_a):
    with pytest.raises(ScopeError):
        list(Connection.objects.all())
    with pytest.raises(ScopeError):
        Connection.objects.filter(label="Acme books").count()


def test_it_only_sees_the_scoped_tenants_rows(connection_a, connection_b, tenant_a):
    with scope(tenant=tenant_a):
        assert list(Connection.objects.all()) == [connection_a]


def test_get_object_for_tenant_gives_404_for_another_tenants_object(connection_b, tenant_a, tenant_b):
    with scope(tenant=tenant_a), pytest.raises(Http404):
        get_object_for_tenant(Connection, tenant_a, uuid=connection_b.uuid)
    with scope(tenant=tenant_b):
        assert get_object_for_tenant(Connection, tenant_b, uuid=connection_b.uuid) == connection_b


def test_get_object_for_tenant_gives_404_for_a_malformed_id(tenant_a):
    with scope(tenant=tenant_a), pytest.raises(Http404):
        get_object_for_tenant(Connection, tenant_a, uuid="not-a-uuid")


def test_get_object_for_tenant_gives_404_without_a_tenant(connection_a):
    with scopes_disabled(), pytest.raises(Http404):
        get_object_for_tenant(Connection, None, uuid=connection_a.uuid)


def test_a_user_without_a_workspace_gets_a_clear_page_not_a_500(client, outsider):
    client.force_login(outsider)
    response = client.get("/")
    assert response.status_code == 403
    assert b"You are not in a workspace yet" in response.content


def test_a_user_in_two_workspaces_can_switch_between_them(client, owner_a, tenant_a, tenant_b, connection_b):
    with scopes_disabled():
        MembershipFactory(tenant=tenant_b, user=owner_a, role=Membership.Role.AGENT)
    client.force_login(owner_a)
    assert tenant_a.name.encode() in client.get("/").content

    response = client.post("/workspace/switch/", {"tenant": str(tenant_b.uuid)})
    assert response.status_code == 302

    page = client.get("/connections/")
    assert b"Globex books" in page.content
    assert client.get(f"/connections/{connection_b.uuid}/").status_code == 200


def test_switching_to_a_workspace_the_user_is_not_in_gives_404(client_a, tenant_b):
    response = client_a.post("/workspace/switch/", {"tenant": str(tenant_b.uuid)})
    assert response.status_code == 404
    assert client_a.session.get("active_tenant") is None


def test_switching_workspace_is_audited(client, owner_a, tenant_b):
    from audit.models import AuditEvent

    with scopes_disabled():
        MembershipFactory(tenant=tenant_b, user=owner_a)
    client.force_login(owner_a)
    client.post("/workspace/switch/", {"tenant": str(tenant_b.uuid)})
    with scope(tenant=tenant_b):
        assert AuditEvent.objects.filter(kind="user.workspace_switched", actor=owner_a).count() == 1


def test_switching_workspace_needs_a_login(client, tenant_b):
    response = client.post("/workspace/switch/", {"tenant": str(tenant_b.uuid)})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
