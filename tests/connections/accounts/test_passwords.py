import re

from django.test import Client
from django_scopes import scope

from audit.models import AuditEvent

OLD = "correct horse battery staple"
NEW = "a-brand-new-passphrase-91"


def logged_in(user) -> Client:
    browser = Client()
    assert browser.post("/login/", {"username": user.username, "password": OLD}).status_code == 302
    return browser


def test_a_password_reset_by_email_ends_every_session(client, owner_a, tenant_a, mailoutbox):
    elsewhere = logged_in(owner_a)
    page = client.get("/password-reset/")
    assert "Reset your password" in page.content.decode()
    assert client.post("/password-reset/", {"email": owner_a.email})["Location"] == "/password-reset/sent/"
    assert "Reset your ml-connector password" in mailoutbox[0].subject
    link = re.search(r"https?://[^/\s]+(/password-reset/\S+/\S+/)", mailoutbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    response = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert response["Location"] == "/password-reset/done/"
    owner_a.refresh_from_db()
    assert owner_a.check_password(NEW)
    assert elsewhere.get("/").status_code == 302, "the other session ended"
    with scope(tenant=tenant_a):
        assert AuditEvent.objects.filter(kind="user.password_reset", actor=owner_a).exists()
        assert NEW not in str(list(AuditEvent.objects.values("message", "data")))


def test_a_reset_link_works_once(client, owner_a, mailoutbox):
    client.post("/password-reset/", {"email": owner_a.email})
    link = re.search(r"https?://[^/\s]+(/password-reset/\S+/\S+/)", mailoutbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    again = client.get(link, follow=True)
    assert "This link does not work" in again.content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, db, mailoutbox):
    assert client.post("/password-reset/", {"email": "nobody@example.com"})["Location"] == "/password-reset/sent/"
    assert mailoutbox == []


def test_changing_the_password_keeps_this_session_and_ends_the_others(owner_a, tenant_a):
    here, elsewhere = logged_in(owner_a), logged_in(owner_a)
    page = here.get("/account/password/")
    assert "Change your password" in page.content.decode()
    response = here.post("/account/password/", {"old_password": OLD, "new_password1": NEW, "new_password2": NEW})
    assert response["Location"] == "/account/"
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    with scope(tenant=tenant_a):
        assert AuditEvent.objects.filter(kind="user.password_changed", actor=owner_a).exists()


def test_changing_the_password_needs_the_old_one(owner_a):
    here = logged_in(owner_a)
    response = here.post("/account/password/", {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 200
    assert "old password was entered incorrectly" in response.content.decode()


def test_the_login_page_links_to_password_reset(client, db):
    assert 'href="/password-reset/"' in client.get("/login/").content.decode()
