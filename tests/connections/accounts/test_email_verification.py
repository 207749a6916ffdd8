from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from audit.models import AuditEvent
from connections.accounts.signup import email_verified, verified_email_required
from connections.models import Profile
from tests.connections.accounts.helpers import link_in

FORM = {"name": "Ada Lovelace", "email": "ada@example.com", "password": "analytical-engine-42", "company": "Engines"}


@pytest.fixture
def signed_up(client, db, signup_on, mailoutbox):
    client.post("/signup/", FORM)
    client.post("/login/", {"username": FORM["email"], "password": FORM["password"]})
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email=FORM["email"]), link_in(mailoutbox[-1], "/account/verify/")


def test_a_new_signup_is_unverified_and_sees_a_banner(client, signed_up):
    user, _ = signed_up
    assert not email_verified(user)
    assert "Confirm your e-mail address: we sent a link" in client.get("/connections/").content.decode()


def test_the_link_verifies_once_and_then_says_it_was_used(client, signed_up):
    user, link = signed_up
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm my e-mail address" in page.content.decode()
    assert not email_verified(user), "opening the link alone (a mail scanner) verifies nothing"
    assert client.post(link)["Location"] == "/"
    assert email_verified(user)
    assert "Confirm your e-mail address: we sent" not in client.get("/").content.decode()
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="user.email_verified", actor=user).count() == 1
    again = client.post(link)
    assert again.status_code == 400
    assert "already used" in again.content.decode()


def test_a_tampered_link_is_refused(client, signed_up):
    _, link = signed_up
    response = client.get(link[:-3] + "xyz/")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_an_expired_link_is_refused(client, signed_up, settings):
    _, link = signed_up
    settings.EMAIL_VERIFICATION_MAX_AGE = -1
    response = client.post(link)
    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_the_link_works_without_being_logged_in(client, signed_up):
    user, link = signed_up
    client.post("/logout/")
    assert client.post(link)["Location"] == "/login/"
    assert email_verified(user)


def test_the_link_can_be_sent_again(client, signed_up, mailoutbox):
    response = client.post("/account/verify/resend/")
    assert response["Location"] == "/account/"
    assert len(mailoutbox) == 2
    assert link_in(mailoutbox[-1], "/account/verify/")


def test_users_made_by_operators_or_invitations_count_as_verified(owner_a):
    assert email_verified(owner_a)
    Profile.objects.create(user=owner_a, email_verified_at=timezone.now() - timedelta(days=1))
    assert email_verified(owner_a)


def test_connect_views_can_require_a_verified_address(rf, signed_up):
    user, _ = signed_up
    from django.contrib.messages.storage.fallback import FallbackStorage

    @verified_email_required
    def connect(request):
        return "connected"

    request = rf.post("/connections/new/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    assert connect(request)["Location"] == "/account/"
    Profile.objects.filter(user=user).update(email_verified_at=timezone.now())
    assert connect(request) == "connected"


@pytest.mark.parametrize("path", ["/connections/connect/zendesk/", "/connections/connect/zendesk/api-token/"])
def test_an_unconfirmed_signup_cannot_connect_a_system_until_confirmed(client, signed_up, path):
    _, link = signed_up
    response = client.get(path)
    assert response["Location"] == "/account/"
    assert "Verify your e-mail address before connecting" in client.get("/account/").content.decode()
    client.post(link)
    assert client.get(path).status_code == 200
