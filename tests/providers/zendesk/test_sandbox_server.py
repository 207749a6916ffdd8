"""The Zendesk emulator behind the real sandbox server (loopback): `/zendesk/{subdomain}/...` and its page."""

import json

import pytest
import requests

from connections.providers.zendesk.emulator import ZendeskEmulator
from connections.sandbox import Clock, Response
from connections.sandbox.server import SandboxServer


@pytest.fixture
def server():
    emulator = ZendeskEmulator(clock=Clock())
    running = SandboxServer({"zendesk": emulator}, port=0, pump_interval=0.01).start()
    yield running
    running.stop()


def test_it_serves_the_api_per_subdomain_with_links_on_the_sandbox_host(server):
    emulator = server.emulators["zendesk"]
    auth = ("admin@acme.example.com/token", emulator.config["api_token"])

    created = requests.post(
        f"{server.url}/zendesk/acme/api/v2/organizations.json",
        json={"organization": {"name": "Loopback Ltd"}},
        auth=auth,
        timeout=5,
    )

    assert created.status_code == 201
    assert created.headers["Location"].startswith(f"{server.url}/zendesk/acme/api/v2/organizations/")
    assert created.headers["x-rate-limit"] == "700"
    assert (
        requests.get(f"{server.url}/zendesk/globex/api/v2/organizations.json", auth=auth, timeout=5).status_code == 401
    )


def test_the_consent_page_posts_back_to_the_sandbox_host(server):
    emulator = server.emulators["zendesk"]

    page = requests.get(
        f"{server.url}/zendesk/acme/oauth/authorizations/new",
        params={
            "response_type": "code",
            "client_id": emulator.config["oauth_client_id"],
            "redirect_uri": "http://a/cb",
        },
        timeout=5,
    )

    assert page.status_code == 200
    assert f'action="{server.url}/zendesk/acme/oauth/authorizations"' in page.text


def test_a_record_created_from_the_control_api_is_delivered_by_the_pump(server):
    emulator = server.emulators["zendesk"]
    sent = []
    emulator.outbox.sender = lambda method, url, headers, body, timeout: sent.append(body) or Response(200)
    account = emulator.account("acme")
    account.create_webhook(
        {
            "name": "hook",
            "status": "active",
            "endpoint": "http://127.0.0.1:9/hook",
            "http_method": "POST",
            "request_format": "json",
            "subscriptions": ["zen:event-type:organization.created"],
        },
        created_by=account.admin,
    )

    answer = requests.post(
        f"{server.url}/_sandbox/zendesk/api/records/organization",
        json={"subdomain": "acme", "name": "Paged"},
        timeout=5,
    )
    for _ in range(200):
        if sent:
            break
        server.wait(0.01)

    assert answer.status_code == 201
    assert json.loads(sent[0])["detail"]["name"] == "Paged"


def test_the_sandbox_page_offers_the_zendesk_forms(server):
    page = requests.get(f"{server.url}/_sandbox/zendesk/", timeout=5)

    assert page.status_code == 200
    assert "records/organization" in page.text
    assert "records/ticket" in page.text
