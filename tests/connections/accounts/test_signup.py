import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
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
    assert response["Location"] == "/signup/sent/"
    user = get_user_model().objects.get(email="ada@example.com")
    assert user.first_name == "Ada"
    assert user.check_password(FORM["password"])
    with scopes_disabled():
        membership = Membership.objects.get(user=user)
        assert membership.tenant.name == "Engines"
        assert membership.role == "owner"
        assert AuditEvent.objects.filter(tenant=membership.tenant, kind="tenant.created").exists()
    assert client.get("/").status_code == 302, "not logged in: the answer must not differ for a taken address"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ada@example.com"]
    client.post(link_in(mailoutbox[0], "/account/verify/"))
    assert client.post("/login/", {"username": FORM["email"], "password": FORM["password"]})["Location"] == "/"
    page = client.get("/").content.decode()
    assert "Engines" in page
    assert "Connect a source system" in page, "lands on the first-run checklist"


def answer(response) -> tuple:
    """What a visitor sees of a sign-up: status, redirects, and the final page (without its CSRF token)."""
    page = re.sub(r'"x-csrftoken": "[^"]*"', "", response.content.decode())
    return response.status_code, response.redirect_chain, page


def test_an_address_that_has_an_account_gets_the_same_answer_and_its_owner_an_e_mail(
    owner_a, tenant_a, signup_on, mailoutbox
):
    password_hash = owner_a.password
    new = Client().post("/signup/", FORM, follow=True)
    taken = Client().post("/signup/", {**FORM, "email": owner_a.email.upper()}, follow=True)
    assert answer(taken) == answer(new)
    assert new.redirect_chain == [("/signup/sent/", 302)]
    assert "Check your e-mail" in answer(new)[2]
    verification, notice = mailoutbox
    assert verification.to == ["ada@example.com"]
    assert link_in(verification, "/account/verify/")
    assert notice.to == [owner_a.email]
    assert "tried to sign up" in notice.body
    assert "http://testserver/login/\n" in notice.body and "http://testserver/password-reset/\n" in notice.body
    assert "/account/verify/" not in notice.body
    owner_a.refresh_from_db()
    assert owner_a.password == password_hash
    with scopes_disabled():
        assert Tenant.objects.count() == 2, "tenant_a and Ada's, none for the taken address"
        assert list(Membership.objects.filter(user=owner_a).values_list("tenant", flat=True)) == [tenant_a.pk]


def test_an_address_taken_as_a_username_gets_the_same_answer_too(db, signup_on, mailoutbox):
    get_user_model().objects.create_user("ada@example.com", "someone@example.com", "x")
    taken = Client().post("/signup/", FORM, follow=True)
    assert taken.redirect_chain == [("/signup/sent/", 302)]
    assert get_user_model().objects.count() == 1
    with scopes_disabled():
        assert not Tenant.objects.exists()
    assert [message.to for message in mailoutbox] == [["ada@example.com"]]
    assert "tried to sign up" in mailoutbox[0].body


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
