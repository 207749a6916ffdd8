"""Adding a provider is one package plus one registry line: no shared module learns its name.

The package here (tests/connections/acme_books) is registered by these tests alone; the settings are derived
from the registry the way mlconnector/settings.py derives them.
"""

import environ
import pytest

from connections import registry
from connections.checks import check_registry
from connections.providers.configuration import provider_settings
from connections.registry import ProviderSpec
from connections.sandbox.registry import emulator_classes

PACKAGE = "tests.connections.acme_books"


@pytest.fixture
def acme_books(monkeypatch, settings):
    """The one registry line, and the settings every process derives from the registry at start-up."""
    spec = ProviderSpec(PACKAGE, webhooks=None, subscriptions=None, mirror=None, connect=None, seed=None)
    monkeypatch.setitem(registry.PROVIDERS, "acmebooks", spec)
    for name, value in provider_settings(environ.Env(), sandbox=True).items():
        setattr(settings, name, value)
    return spec


def test_the_system_check_finds_a_new_provider_fully_wired(acme_books, monkeypatch):
    for double in ("testsource", "testtarget"):  # declarations only, by design (tests/registry_doubles.py)
        monkeypatch.delitem(registry.PROVIDERS, double)
    monkeypatch.delitem(registry.FLOWS, "test_flow")
    assert check_registry() == []


def test_its_settings_come_from_the_registry(acme_books, settings):
    assert settings.OAUTH_APPS["acmebooks"] == {
        "client_id": "sandbox-acmebooks-client",
        "client_secret": "sandbox-acmebooks-secret",
    }
    assert f"{PACKAGE}.auth.Backend" in settings.SOCIAL_AUTH_AUTHENTICATION_BACKENDS
    assert settings.ACMEBOOKS_API_URL == ""


def test_the_connections_page_offers_it_and_its_connect_page_renders(acme_books, client_a):
    assert "Connect Acme Books" in client_a.get("/connections/").content.decode()
    page = client_a.get("/connections/connect/acmebooks/")
    assert page.status_code == 200
    assert "allow ml-connector to\n     read your ledger." in page.content.decode()


def test_the_sandbox_discovers_its_emulator(acme_books):
    assert emulator_classes()["acmebooks"].title == "Acme Books"


def test_the_check_says_what_a_half_wired_provider_lacks(acme_books, monkeypatch, settings):
    monkeypatch.setitem(registry.PROVIDERS, "acmebooks", ProviderSpec(PACKAGE, webhooks="webhooks.RECEIVER"))
    settings.SOCIAL_AUTH_AUTHENTICATION_BACKENDS = []
    messages = [error.msg for error in check_registry() if "'acmebooks'" in error.msg]
    assert any("its webhooks (tests.connections.acme_books.webhooks.RECEIVER) does not load" in m for m in messages)
    assert any("is not in SOCIAL_AUTH_AUTHENTICATION_BACKENDS" in m for m in messages)
