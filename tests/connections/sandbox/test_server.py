import json

import pytest
import requests

from connections.sandbox import Clock, Response
from connections.sandbox.server import SandboxServer
from tests.connections.sandbox.echo import EchoEmulator


@pytest.fixture
def server():
    emulator = EchoEmulator(clock=Clock())
    emulator.outbox.sender = lambda *args: Response(204)
    running = SandboxServer({"echo": emulator}, port=0, pump_interval=0.01).start()
    yield running
    running.stop()


def control(server, method, action, **kwargs):
    return requests.request(method, f"{server.url}/_sandbox/echo/api/{action}", timeout=5, **kwargs)


def test_it_serves_the_emulated_api_under_its_slug_with_host_values_from_the_path(server):
    control(server, "POST", "records/item", json={"name": "Bolt"})
    emulator = server.emulators["echo"]
    code = emulator.oauth.issue_code("client-1", "https://app.example/cb", "read")
    tokens = requests.post(
        f"{server.url}/echo/acme/oauth/token",
        data={
            "client_id": "client-1",
            "client_secret": "secret-1",
            "code": code,
            "redirect_uri": "https://app.example/cb",
        },
        timeout=5,
    ).json()

    answer = requests.get(
        f"{server.url}/echo/acme/items/1", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5
    )

    assert answer.status_code == 200
    assert answer.json() == {"item": {"id": 1, "name": "Bolt"}, "tenant": "acme"}


def test_it_exposes_state_journal_faults_and_reset_as_json(server):
    requests.get(f"{server.url}/echo/acme/items/1", timeout=5)
    journal = control(server, "GET", "journal").json()["entries"]
    assert [(e["method"], e["url"], e["status"]) for e in journal] == [("GET", "/items/1", 401)]

    faults = control(server, "POST", "faults", json={"error_rate": 1, "error_status": 503}).json()
    assert faults["error_rate"] == 1.0
    assert requests.get(f"{server.url}/echo/acme/items/1", timeout=5).status_code == 503

    assert control(server, "POST", "faults", json={"bogus": 1}).status_code == 400
    assert control(server, "POST", "reset").json() == {"reset": True}
    state = control(server, "GET", "state").json()
    assert state["faults"]["error_rate"] == 0 and state["state"] == {"items": 0}
    assert control(server, "GET", "journal").json() == {"entries": []}


def test_it_sends_due_webhooks_from_its_pump(server):
    import threading

    delivered = threading.Event()
    emulator = server.emulators["echo"]
    emulator.outbox.sender = lambda *args: delivered.set() or Response(204)
    control(server, "POST", "records/item", json={"name": "Bolt"})
    assert delivered.wait(2)


def test_it_renders_a_page_whose_forms_call_control_actions(server):
    page = requests.get(f"{server.url}/_sandbox/echo/", timeout=5)
    assert page.status_code == 200 and 'action="/_sandbox/echo/ui/records/item"' in page.text

    answer = requests.post(
        f"{server.url}/_sandbox/echo/ui/records/item", data={"name": "<Gear>"}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 303
    followed = requests.get(server.url + answer.headers["Location"], timeout=5)
    assert "records/item: 201" in followed.text and "<Gear>" not in followed.text


def test_it_shows_the_journal_without_secrets(server):
    requests.get(
        f"{server.url}/echo/acme/items/1", headers={"Authorization": "Bearer s3cr3t-token-value-0123456789"}, timeout=5
    )
    table = requests.get(f"{server.url}/_sandbox/echo/journal", timeout=5).text
    assert "/items/1" in table and "s3cr3t-token" not in table
    assert json.dumps(control(server, "GET", "journal").json()).count("s3cr3t") == 0


def test_it_answers_404_for_unknown_emulators(server):
    assert requests.get(f"{server.url}/nope/x", timeout=5).status_code == 404
    assert requests.get(f"{server.url}/_sandbox/nope/", timeout=5).status_code == 404
    assert "/_sandbox/echo/" in requests.get(f"{server.url}/", timeout=5).text
