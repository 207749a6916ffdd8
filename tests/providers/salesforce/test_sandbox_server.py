"""The Salesforce emulator behind the real sandbox server (loopback): `/salesforce/{my_domain}/...`, its
instance_url on the sandbox host, paging through relative URLs, its page and forms, and the demo seed."""

import pytest
import requests

from connections.providers.salesforce import seed
from connections.providers.salesforce.emulator import SalesforceEmulator
from connections.sandbox import FakeClock
from connections.sandbox.server import SandboxServer
from tests.providers.salesforce.helpers import CLIENT_ID, CLIENT_SECRET


@pytest.fixture
def server():
    emulator = SalesforceEmulator(clock=FakeClock(), seed=3)
    running = SandboxServer({"salesforce": emulator}, port=0, pump_interval=0.05).start()
    yield running
    running.stop()


def mint(server, my_domain: str = "acme") -> dict:
    answer = requests.post(
        f"{server.url}/salesforce/{my_domain}/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_token_names_the_sandbox_host_as_instance_url_and_calls_work_there(server):
    token = mint(server)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    server.emulators["salesforce"].config["query_page_size"] = 1

    assert token["instance_url"] == f"{server.url}/salesforce/acme"
    for name in ("A", "B"):
        created = requests.post(
            f"{token['instance_url']}/services/data/v66.0/sobjects/Account/",
            json={"Name": name},
            headers=headers,
            timeout=5,
        )
        assert created.status_code == 201
    first = requests.get(
        f"{token['instance_url']}/services/data/v66.0/query",
        params={"q": "SELECT Name FROM Account"},
        headers=headers,
        timeout=5,
    ).json()
    second = requests.get(token["instance_url"] + first["nextRecordsUrl"], headers=headers, timeout=5)

    assert second.status_code == 200 and second.json()["records"][0]["Name"] == "B"
    assert second.headers["Sforce-Limit-Info"] == "api-usage=4/15000"


def test_the_login_path_refuses_client_credentials(server):
    answer = requests.post(
        f"{server.url}/salesforce/login/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=5,
    )

    assert answer.status_code == 400 and answer.json()["error_description"] == "request not supported on this domain"


def test_the_page_shows_its_forms_and_a_form_renames_the_won_stage(server):
    page = requests.get(f"{server.url}/_sandbox/salesforce/", timeout=5)
    posted = requests.post(
        f"{server.url}/_sandbox/salesforce/ui/stages/won", data={"my_domain": "acme", "label": "Won - Paid"}, timeout=5
    )

    assert page.status_code == 200
    for title in ("Create an Account", "Create an Opportunity", "Rename the won stage", "Org features", "API usage"):
        assert title in page.text
    assert posted.status_code == 200 and "stages/won: 200" in posted.text
    assert server.emulators["salesforce"].org("acme").won_stage()["ApiName"] == "Won - Paid"


def test_forms_create_records_and_toggle_order_management(server):
    account = requests.post(
        f"{server.url}/_sandbox/salesforce/ui/records/account",
        data={"my_domain": "acme", "Name": "Acme Corporation", "FreshBooks_Client_Id__c": ""},
        timeout=5,
    )
    requests.post(
        f"{server.url}/_sandbox/salesforce/ui/orgs", data={"my_domain": "acme", "order_management": "true"}, timeout=5
    )

    org = server.emulators["salesforce"].org("acme")
    assert "records/account: 201" in account.text
    assert org.order_management is True and org.sobject("Invoice") is not None


def test_the_demo_seed_creates_a_small_org_once(server):
    def call(method, action, body=None):
        answer = requests.request(method, f"{server.url}/_sandbox/salesforce/api/{action}", json=body, timeout=5)
        assert answer.status_code < 400, answer.text
        return answer.json()

    counts = seed.seed(call)
    again = seed.seed(call)

    org = server.emulators["salesforce"].org("acme")
    names = {a["Name"] for a in org.live(org.objects["Account"])}
    assert counts == {"accounts": 8, "opportunities": 5, "orders": 2} and again is None
    assert {"Acme Corporation", "Smith and Sons Ltd", "Cyberdyne Systems"} <= names and "Acme Corp" not in names
    assert all(a["FreshBooks_Client_Id__c"] is None for a in org.live(org.objects["Account"]))
    owner = org.user_by_username("priya@acme.example.com")
    assert all(a["OwnerId"] == owner["Id"] for a in org.live(org.objects["Account"]))
    orders = org.live(org.objects["Order"])
    assert sorted(o["StatusCode"] for o in orders) == ["Activated", "Draft"]
