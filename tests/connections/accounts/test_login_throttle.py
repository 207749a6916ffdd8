import re
import time
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_scopes import scope

from audit.models import AuditEvent
from connections import throttles

RIGHT = "correct horse battery staple"
NEW = "a-brand-new-passphrase-91"


@pytest.fixture(autouse=True)
def window_start(monkeypatch, settings):
    """Counts are kept in clock-aligned windows: each test starts one, so none straddles two."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    offset = (time.time() // window + 1) * window - time.time()
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: time.time() + offset))


def attempt(browser, user, password, address="10.0.0.1"):
    return browser.post("/login/", {"username": user.username, "password": password}, REMOTE_ADDR=address)


def test_after_too_many_failures_even_the_right_password_is_refused_with_a_clear_message(
    client, owner_a, tenant_a, settings
):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert "Please enter a correct" in attempt(client, owner_a, "guess").content.decode()
    response = attempt(client, owner_a, RIGHT)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Too many failed log-in attempts" in page
    assert "15 minutes" in page
    with scope(tenant=tenant_a):
        event = AuditEvent.objects.get(kind="user.login_locked")
    assert event.level == "warning"
    assert "guess" not in event.message + str(event.data)
    assert event.data["address"] == "10.0.0.1"


def test_the_lock_is_per_address_so_the_owner_elsewhere_can_still_log_in(client, owner_a, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        attempt(client, owner_a, "guess", "10.0.0.1")
    assert attempt(Client(), owner_a, RIGHT, "10.0.0.2").status_code == 302


def test_one_address_guessing_many_accounts_is_stopped(client, owner_a, owner_b, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 4
    for _ in range(2):
        attempt(client, owner_a, "guess")
        attempt(client, owner_b, "guess")
    assert "Too many failed" in attempt(client, owner_b, RIGHT).content.decode()


def test_a_success_clears_the_count(client, owner_a, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    attempt(client, owner_a, "guess")
    attempt(client, owner_a, "guess")
    assert attempt(client, owner_a, RIGHT).status_code == 302
    client.post("/logout/")
    attempt(client, owner_a, "guess")
    attempt(client, owner_a, "guess")
    assert attempt(client, owner_a, RIGHT).status_code == 302


def test_unknown_usernames_are_counted_too_without_an_audit_event(client, db, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        client.post("/login/", {"username": "ghost@example.com", "password": "x"})
    response = client.post("/login/", {"username": "ghost@example.com", "password": "x"})
    assert "Too many failed" in response.content.decode()


def guess_from_many_addresses(user, addresses=6, each=5):
    for n in range(addresses):
        for _ in range(each):
            attempt(Client(), user, "guess", f"10.0.1.{n}")


def locked_message(response) -> str:
    match = re.search(r'<div class="error" role="alert">(.*?)</div>', response.content.decode(), re.S)
    return match.group(1) if match else ""


def reset_password(browser, user, mailoutbox, password):
    browser.post("/password-reset/", {"email": user.email}, REMOTE_ADDR="10.0.2.1")
    link = re.search(r"https?://[^/\s]+(/password-reset/\S+/\S+/)", mailoutbox[-1].body).group(1)
    form = browser.get(link, follow=True)
    done = browser.post(form.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    assert done["Location"] == "/password-reset/done/"


def test_guessing_one_account_from_many_addresses_locks_it_from_every_address(owner_a, tenant_a):
    guess_from_many_addresses(owner_a)
    for address in ("10.0.1.0", "10.0.9.9"):
        response = attempt(Client(), owner_a, RIGHT, address)
        assert response.status_code == 200
        assert "Too many failed" in response.content.decode()
    with scope(tenant=tenant_a):
        assert AuditEvent.objects.filter(kind="user.login_locked", data__scope="account").count() == 1


def test_the_admin_login_is_throttled_like_the_login_page(client, db):
    operator = get_user_model().objects.create_superuser("ops@example.com", "ops@example.com", RIGHT)
    for _ in range(20):
        client.post("/admin/login/", {"username": operator.username, "password": "guess", "next": "/admin/"})
    response = client.post("/admin/login/", {"username": operator.username, "password": RIGHT, "next": "/admin/"})
    assert response.status_code == 200
    assert "Too many failed" in response.content.decode()
    assert client.get("/admin/").status_code == 302, "not logged in"


def test_a_password_reset_lifts_the_lock_from_every_address(client, owner_a, tenant_a, mailoutbox):
    guess_from_many_addresses(owner_a)
    assert attempt(Client(), owner_a, RIGHT, "10.0.1.0").status_code == 200
    reset_password(client, owner_a, mailoutbox, NEW)
    assert attempt(Client(), owner_a, NEW, "10.0.1.0").status_code == 302, "the guessed-from address too"
    assert attempt(Client(), owner_a, NEW, "10.0.9.9").status_code == 302
    with scope(tenant=tenant_a):
        event = AuditEvent.objects.get(kind="user.login_unlocked")
    assert event.actor == owner_a
    assert NEW not in event.message + str(event.data)


def test_the_locked_message_offers_the_reset_and_is_the_same_for_an_unknown_username(client, owner_a, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    ghost = get_user_model()(username="ghost@example.com")
    for _ in range(3):
        attempt(Client(), owner_a, "guess", "10.0.3.1")
        attempt(Client(), ghost, "guess", "10.0.3.2")
    real = locked_message(attempt(Client(), owner_a, RIGHT, "10.0.3.1"))
    unknown = locked_message(attempt(Client(), ghost, "x", "10.0.3.2"))
    assert "reset your password from the e-mailed link to unlock it now" in real
    assert unknown == real
