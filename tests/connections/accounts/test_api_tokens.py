import re

from django_scopes import scope
from rest_framework.test import APIClient

from audit.models import AuditEvent
from connections.accounts.api_tokens import create_token, hash_key
from connections.models import ApiToken


def created_key(response) -> str:
    match = re.search(r'<code class="token" id="new-token">([^<]+)</code>', response.content.decode())
    assert match, "the new key is on the page"
    return match.group(1)


def api_with(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def test_a_token_is_shown_once_and_stored_only_as_a_hash(client_a, owner_a, tenant_a):
    response = client_a.post("/account/tokens/", {"name": "reporting script"})
    key = created_key(response)
    token = ApiToken.objects.get(user=owner_a)
    assert token.name == "reporting script"
    assert token.key_hash == hash_key(key)
    assert key not in str(ApiToken.objects.filter(user=owner_a).values())
    page = client_a.get("/account/").content.decode()
    assert key not in page
    assert "reporting script" in page
    assert token.prefix in page
    with scope(tenant=tenant_a):
        event = AuditEvent.objects.get(kind="api_token.created")
    assert key not in event.message + str(event.data)


def test_the_token_authenticates_the_api_as_its_user(client_a, owner_a, tenant_a):
    key = created_key(client_a.post("/account/tokens/", {"name": "script"}))
    body = api_with(key).get("/api/v1/me/").json()
    assert body["email"] == owner_a.email
    assert body["tenant"]["uuid"] == str(tenant_a.uuid)
    assert ApiToken.objects.get(user=owner_a).last_used_at is not None


def test_a_revoked_token_is_refused(client_a, owner_a):
    key = created_key(client_a.post("/account/tokens/", {"name": "script"}))
    token = ApiToken.objects.get(user=owner_a)
    assert client_a.post(f"/account/tokens/{token.uuid}/revoke/")["Location"] == "/account/"
    assert not ApiToken.objects.exists()
    assert api_with(key).get("/api/v1/me/").status_code == 401
    assert "You have no API tokens." in client_a.get("/account/").content.decode()


def test_someone_elses_token_cannot_be_revoked(client_a, owner_b):
    token, key = create_token(owner_b, "theirs")
    assert client_a.post(f"/account/tokens/{token.uuid}/revoke/").status_code == 404
    assert api_with(key).get("/api/v1/me/").status_code == 200


def test_a_user_may_hold_several_tokens(owner_a):
    _, first = create_token(owner_a, "one")
    _, second = create_token(owner_a, "two")
    assert first != second
    assert api_with(first).get("/api/v1/me/").status_code == 200
    assert api_with(second).get("/api/v1/me/").status_code == 200


def test_an_inactive_users_token_is_refused(owner_a):
    _, key = create_token(owner_a, "script")
    owner_a.is_active = False
    owner_a.save()
    assert api_with(key).get("/api/v1/me/").status_code == 401


def test_a_token_needs_a_name(client_a):
    response = client_a.post("/account/tokens/", {"name": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_token_pages_need_a_login(client, db):
    assert client.get("/account/")["Location"].startswith("/login/")
    assert client.post("/account/tokens/", {"name": "x"})["Location"].startswith("/login/")
