import pytest
from django.contrib.auth import get_user_model
from django_scopes import scope

from connections.accounts import team
from connections.accounts.api_tokens import create_token


@pytest.fixture
def operator(client, db):
    user = get_user_model().objects.create_superuser("ops@example.com", "ops@example.com", "pw")
    client.force_login(user)
    return client


def test_operators_see_invitations_and_tokens_but_no_key(operator, tenant_a, tenant_b, owner_a):
    with scope(tenant=tenant_a):
        invitation = team.invite(tenant_a, owner_a, "new@example.com", "agent")
    token, key = create_token(owner_a, "script")
    invitations = operator.get("/admin/connections/invitation/").content.decode()
    assert "new@example.com" in invitations
    assert "By tenant" in invitations
    detail = operator.get(f"/admin/connections/invitation/{invitation.pk}/change/").content.decode()
    assert invitation.key_hash not in detail
    tokens = operator.get("/admin/connections/apitoken/").content.decode()
    assert token.prefix in tokens
    page = operator.get(f"/admin/connections/apitoken/{token.pk}/change/").content.decode()
    assert key not in page
    assert token.key_hash not in page
