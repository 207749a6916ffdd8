"""`seed_sandbox` drives a running sandbox's control API into a small, realistic demo company."""

from io import StringIO

import pytest
from django.core.management import call_command

from connections.sandbox.base import FakeClock
from connections.sandbox.registry import build_emulators
from connections.sandbox.server import SandboxServer


@pytest.fixture
def running_sandbox():
    emulators = build_emulators(clock=FakeClock(), seed=7)
    server = SandboxServer(emulators, port=0, pump_interval=0.05).start()
    yield server
    server.stop()


def test_it_seeds_twenty_clients_sixty_invoices_and_zendesk_orgs_for_most_once(running_sandbox):
    out = StringIO()
    call_command("seed_sandbox", url=running_sandbox.url, wait=5, stdout=out)
    freshbooks = running_sandbox.emulators["freshbooks"].account("SbX4kq")
    zendesk = running_sandbox.emulators["zendesk"].account("acme")
    assert len(freshbooks["client"]) == 20 and len(freshbooks["invoice"]) == 60
    assert freshbooks["payment"] and freshbooks["expense"]
    assert any(not e["clientid"] for e in freshbooks["expense"].values()), "some expenses have no client"
    names = {o.name for o in zendesk.organizations.values()}
    assert {"Acme Corporation", "Smith and Sons Ltd"} <= names and "Acme Corp" not in names
    assert 15 <= len(names) < 20
    assert all(t.status == "new" for t in zendesk.tickets.values()) and len(zendesk.tickets) >= len(names)
    salesforce = running_sandbox.emulators["salesforce"].org("acme")
    assert "Acme Corporation" in {a["Name"] for a in salesforce.records["Account"].values()}
    zuora = running_sandbox.emulators["zuora"].tenant("us-sandbox-2")
    assert {a["billToContact"]["workEmail"] for a in zuora.accounts.values()} >= {"billing@acme.example"}
    call_command("seed_sandbox", url=running_sandbox.url, wait=5, stdout=out)
    assert len(freshbooks["client"]) == 20 and len(zuora.accounts) == 4
    assert "not seeding again" in out.getvalue()
