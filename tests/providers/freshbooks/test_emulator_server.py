"""The FreshBooks emulator on the sandbox server, as the demo uses it: pages, control API, real webhooks."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest
import requests

from connections.providers.freshbooks.emulator import FreshBooksEmulator
from connections.sandbox.server import SandboxServer


class Receiver(BaseHTTPRequestHandler):
    received: list

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body.decode()))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        """Quiet."""


@pytest.fixture
def receiver():
    received = []
    handler = type("Handler", (Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/freshbooks/", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def server():
    running = SandboxServer({"freshbooks": FreshBooksEmulator(seed=3)}, port=0, pump_interval=0.01).start()
    yield running
    running.stop()


def control(server, method, action, **kwargs):
    return requests.request(method, f"{server.url}/_sandbox/freshbooks/api/{action}", timeout=5, **kwargs)


def wait_for(received, count):
    for _ in range(200):
        if len(received) >= count:
            return received
        threading.Event().wait(0.01)
    raise AssertionError(f"expected {count} webhooks, got {len(received)}")


def test_it_sends_signed_webhooks_for_records_made_on_the_control_api(server, receiver):
    url, received = receiver
    callback = control(server, "POST", "callbacks", json={"event": "client", "uri": url, "verified": True}).json()
    client = control(server, "POST", "records/client", json={"organization": "Acme", "email": "a@acme.example"}).json()

    ((headers, body),) = wait_for(received, 1)
    verifier = control(server, "GET", f"callbacks/{callback['callbackid']}/verifier").json()["verifier"]
    from tests.providers.freshbooks.helpers import receiver_signature

    assert dict(parse_qsl(body))["name"] == "client.create"
    assert dict(parse_qsl(body))["object_id"] == str(client["id"])
    assert headers["X-FreshBooks-Hmac-SHA256"] == receiver_signature(verifier, body.encode())
    journal = control(server, "GET", "journal", params={"kind": "delivery"}).json()["entries"]
    assert [(e["status"], e["note"]) for e in journal] == [(200, "attempt 1/3: delivered")]


def test_it_creates_an_invoice_from_the_pages_flat_form_and_fires_events(server, receiver):
    url, received = receiver
    control(server, "POST", "callbacks", data={"event": "invoice.create", "uri": url, "verified": "true"})
    client = control(server, "POST", "records/client", data={"organization": "Acme"}).json()
    answer = requests.post(
        f"{server.url}/_sandbox/freshbooks/ui/records/invoice",
        data={"customerid": client["id"], "line_name": "Consulting", "qty": "3", "unit_cost": "150.00", "status": "2"},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 303
    control(server, "POST", "events", json={"event": "invoice.create", "object_id": 1})
    names = [dict(parse_qsl(body))["name"] for _, body in wait_for(received, 2)]
    assert names == ["invoice.create", "invoice.create"]
    invoices = control(server, "GET", "records/invoice").json()["records"]
    assert invoices[0]["amount"] == {"amount": "450.00", "code": "USD"}


def test_it_renders_the_page_with_forms_for_clients_invoices_and_the_journal(server):
    control(server, "POST", "records/client", json={"organization": "Acme"})
    page = requests.get(f"{server.url}/_sandbox/freshbooks/", timeout=5).text
    for action in ("records/client", "records/invoice", "records/payment", "callbacks", "faults"):
        assert f'action="/_sandbox/freshbooks/ui/{action}"' in page
    assert ">Acme</option>" in page


def test_it_serves_the_consent_page_under_the_sandbox_prefix(server):
    page = requests.get(
        f"{server.url}/freshbooks/oauth/authorize",
        params={
            "client_id": "sandbox-freshbooks-client",
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:8000/oauth/complete/freshbooks/",
        },
        timeout=5,
    )
    assert page.status_code == 200
    assert f'action="{server.url}/freshbooks/oauth/authorize"' in page.text


def test_it_reports_bad_control_input_as_400(server):
    assert control(server, "POST", "records/client", json={}).status_code == 422
    assert control(server, "POST", "records/widget", json={}).status_code == 400
    assert control(server, "POST", "events", json={"event": "nope", "object_id": 1}).status_code == 400
    assert json.loads(control(server, "GET", "state").content)["slug"] == "freshbooks"
