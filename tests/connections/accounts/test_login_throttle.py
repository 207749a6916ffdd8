from django.test import Client
from django_scopes import scope

from audit.models import AuditEvent

RIGHT = "correct horse battery staple"


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
