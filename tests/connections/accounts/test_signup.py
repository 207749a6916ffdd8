import pytest
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from audit.models import AuditEvent
from connections.models import Membership, Tenant
from tests.connections.accounts.helpers import link_in

FORM = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "analytical-engine-42", "company": "Engines"}


def test_signup_is_off_by_default_and_hidden_from_the_login_page(client, db, settings):
    settings.ALLOW_SIGNUP = False
    assert client.get("/signup/").status_code == 404
    assert client.post("/signup/", FORM).status_code == 404
    assert "Get started" not in client.get("/login/").content.decode()
    assert not get_user_model().objects.exists()


def test_the_login_page_offers_get_started_when_signup_is_on(client, db, signup_on):
    page = client.get("/login/").content.decode()
    assert "Get started" in page
    assert 'href="/signup/"' in page


def test_signup_creates_the_user_a_workspace_and_an_owner_membership(client, db, signup_on, mailoutbox):
    response = client.post("/signup/", FORM)
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = get_user_model().objects.get(email="ada@example.com")
    assert user.first_name == "Ada"
    assert user.check_password(FORM["password"])
    with scopes_disabled():
        membership = Membership.objects.get(user=user)
        assert membership.tenant.name == "Engines"
        assert membership.role == "owner"
        assert AuditEvent.objects.filter(tenant=membership.tenant, kind="tenant.created").exists()
    page = client.get("/").content.decode()
    assert "Engines" in page
    assert "Connect a source system" in page, "lands on the first-run checklist"
    assert "Confirm your e-mail address" in page
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.com"]
    assert link_in(mailoutbox[0], "/account/verify/")


def test_signup_refuses_an_address_that_has_an_account(client, owner_a, signup_on):
    response = client.post("/signup/", {**FORM, "email": owner_a.email.upper()})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    with scopes_disabled():
        assert Tenant.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("password", "123", "too short"),
        ("password", "password123", "too common"),
        ("email", "not-an-address", "valid email"),
        ("company", "", "required"),
    ],
)
def test_signup_explains_what_is_wrong(client, db, signup_on, field, value, error):
    response = client.post("/signup/", {**FORM, field: value})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not get_user_model().objects.exists()


def test_a_logged_in_user_is_sent_to_the_dashboard(client_a, signup_on):
    assert client_a.get("/signup/")["Location"] == "/"
