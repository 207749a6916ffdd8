import json

import pytest
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

from audit.models import AuditEvent
from connections.accounts.api_tokens import create_token
from connections.models import Integration, Membership
from tests.factories import ConnectionFactory, IntegrationFactory, MembershipFactory

SECRET_VALUES = ("access-token-", "refresh-token-")


@pytest.fixture
def api_a(owner_a):
    api = APIClient()
    api.force_authenticate(owner_a)
    return api


@pytest.fixture
def target_a(tenant_a):
    with scopes_disabled():
        return ConnectionFactory(
            tenant=tenant_a, provider="testtarget", label="Acme desk", addresses={"subdomain": "acme"}
        )


@pytest.fixture
def integration_b(tenant_b, connection_b):
    with scopes_disabled():
        return IntegrationFactory(tenant=tenant_b, source=connection_b)


@pytest.mark.parametrize("path", ["/api/v1/me/", "/api/v1/connections/", "/api/v1/integrations/", "/api/schema/"])
def test_anonymous_requests_are_refused(db, path):
    assert APIClient().get(path).status_code in (401, 403)


def test_me_names_the_user_tenant_and_role(api_a, owner_a, tenant_a):
    body = api_a.get("/api/v1/me/").json()
    assert body["email"] == owner_a.email
    assert body["tenant"]["uuid"] == str(tenant_a.uuid)
    assert body["role"] == "owner"


def test_a_user_without_a_workspace_is_refused_with_a_reason(outsider):
    api = APIClient()
    api.force_authenticate(outsider)
    response = api.get("/api/v1/me/")
    assert response.status_code == 403
    assert "not a member" in response.json()["detail"]


def test_connections_list_holds_only_the_tenants_connections_and_no_secret(api_a, connection_a, connection_b):
    response = api_a.get("/api/v1/connections/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [c["uuid"] for c in results] == [str(connection_a.uuid)]
    assert results[0]["has_secrets"]["access_token"] is True
    raw = response.content.decode()
    assert not any(secret in raw for secret in SECRET_VALUES)


def test_another_tenants_connection_gives_404(api_a, connection_b):
    assert api_a.get(f"/api/v1/connections/{connection_b.uuid}/").status_code == 404


def test_connections_are_read_only_through_the_api(api_a, connection_a):
    response = api_a.patch(f"/api/v1/connections/{connection_a.uuid}/", {"label": "x"}, format="json")
    assert response.status_code == 405


def test_another_tenants_integration_gives_404_for_read_update_and_delete(api_a, integration_b):
    path = f"/api/v1/integrations/{integration_b.uuid}/"
    assert api_a.get(path).status_code == 404
    assert api_a.patch(path, {"enabled": True}, format="json").status_code == 404
    assert api_a.delete(path).status_code == 404
    with scopes_disabled():
        assert Integration.objects.filter(pk=integration_b.pk, enabled=False).exists()


def test_an_admin_creates_an_integration_and_it_is_audited(api_a, connection_a, target_a, tenant_a):
    response = api_a.post(
        "/api/v1/integrations/",
        {"kind": "test_flow", "source": str(connection_a.uuid), "target": str(target_a.uuid)},
        format="json",
    )
    assert response.status_code == 201, response.content
    with scope(tenant=tenant_a):
        integration = Integration.objects.get(uuid=response.json()["uuid"])
        assert integration.tenant == tenant_a
        assert AuditEvent.objects.filter(kind="integration.created", integration=integration).exists()


def test_an_integration_cannot_use_another_tenants_connection(api_a, connection_a, connection_b):
    response = api_a.post(
        "/api/v1/integrations/",
        {"kind": "test_flow", "source": str(connection_a.uuid), "target": str(connection_b.uuid)},
        format="json",
    )
    assert response.status_code == 400
    assert "target" in response.json()
    with scopes_disabled():
        assert not Integration.objects.exists()


def test_an_integration_checks_the_flows_providers(api_a, connection_a, target_a):
    response = api_a.post(
        "/api/v1/integrations/",
        {"kind": "test_flow", "source": str(target_a.uuid), "target": str(connection_a.uuid)},
        format="json",
    )
    assert response.status_code == 400
    assert "reads from a testsource connection" in json.dumps(response.json())


def test_an_unknown_kind_is_a_clear_error(api_a, connection_a, target_a):
    response = api_a.post(
        "/api/v1/integrations/",
        {"kind": "nope", "source": str(connection_a.uuid), "target": str(target_a.uuid)},
        format="json",
    )
    assert response.status_code == 400
    assert "kind" in response.json()


def test_an_agent_can_read_but_not_change_integrations(tenant_a, connection_a, target_a):
    with scopes_disabled():
        agent = MembershipFactory(tenant=tenant_a, role=Membership.Role.AGENT).user
        integration = IntegrationFactory(tenant=tenant_a, source=connection_a, target=target_a)
    api = APIClient()
    api.force_authenticate(agent)
    assert api.get(f"/api/v1/integrations/{integration.uuid}/").status_code == 200
    response = api.patch(f"/api/v1/integrations/{integration.uuid}/", {"enabled": True}, format="json")
    assert response.status_code == 403


def test_token_authentication_works_and_x_tenant_picks_a_workspace(owner_a, tenant_b, connection_b):
    with scopes_disabled():
        MembershipFactory(tenant=tenant_b, user=owner_a, role=Membership.Role.AGENT)
    _, key = create_token(owner_a, "test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_X_TENANT=str(tenant_b.uuid))
    results = api.get("/api/v1/connections/").json()["results"]
    assert [c["uuid"] for c in results] == [str(connection_b.uuid)]


def test_x_tenant_naming_a_workspace_the_user_is_not_in_is_refused(owner_a, tenant_b):
    _, key = create_token(owner_a, "test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_X_TENANT=str(tenant_b.uuid))
    assert api.get("/api/v1/connections/").status_code == 403


def test_a_wrong_token_is_refused(db):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    assert api.get("/api/v1/me/").status_code == 401


def test_the_openapi_schema_and_docs_are_served_offline(api_a, client_a):
    schema = api_a.get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/connections/" in schema.json()["paths"]
    docs = client_a.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower()


def test_a_body_nested_too_deeply_is_a_400_not_a_500(api_a):
    body = '{"kind": "test_flow", "options": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = api_a.post("/api/v1/integrations/", body, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]


def test_a_path_under_the_api_that_names_no_endpoint_is_a_json_404(api_a):
    response = api_a.get("/api/v1/jobs/0.5/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_schema_documents_the_errors_every_operation_answers(api_a):
    paths = api_a.get("/api/schema/?format=json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            expected = {"401", "403"} | ({"404"} if "{uuid}" in path else set())
            assert expected <= set(operation["responses"]), f"{method.upper()} {path}"
    assert set(paths["/api/v1/integrations/{uuid}/fit-check/"]["post"]["responses"]) >= {"202", "404"}


def test_a_fit_check_is_started_with_a_202(api_a, connection_a, target_a, tenant_a):
    with scopes_disabled():
        integration = IntegrationFactory(tenant=tenant_a, source=connection_a, target=target_a)
    response = api_a.post(f"/api/v1/integrations/{integration.uuid}/fit-check/")
    assert response.status_code == 202
    assert response.json()["finished_at"] is None
