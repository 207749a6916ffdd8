import requests

from connections.sandbox.registry import emulator_classes


def test_it_finds_every_registered_provider_that_has_an_emulator():
    assert {"freshbooks", "zendesk"} <= set(emulator_classes())


def test_it_serves_registered_emulators_in_process_with_a_fake_clock(sandbox):
    before = sandbox.clock.now()
    answer = requests.get("https://api.freshbooks.com/auth/api/v1/users/me", timeout=5)
    assert answer.status_code == 401
    assert sandbox["freshbooks"].journal.entries()[0].url == "/auth/api/v1/users/me"
    sandbox.clock.advance(60)
    assert sandbox.clock.now() == before + 60


def test_it_refuses_hosts_no_emulator_serves(sandbox):
    import pytest

    with pytest.raises(requests.ConnectionError):
        requests.get("https://example.com/", timeout=5)
