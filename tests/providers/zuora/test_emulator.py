"""The Zuora emulator against zuora.md and the recorded answers: shapes, idempotency keys, limits, tokens."""

import json
from pathlib import Path

import requests

from connections.providers.zuora import ENVIRONMENTS

FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "fixtures" / "zuora"
BASE = ENVIRONMENTS["us-sandbox-2"][1]


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def token(environment="us-sandbox-2"):
    answer = requests.post(
        f"{ENVIRONMENTS[environment][1]}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-zuora-client",
            "client_secret": "sandbox-zuora-secret",
        },
        timeout=5,
    )
    return answer


def headers(**extra):
    return {"Authorization": f"Bearer {token().json()['access_token']}", **extra}


ACCOUNT = {"name": "Acme", "currency": "USD", "billCycleDay": 1, "billToContact": {"firstName": "A", "lastName": "B"}}


def test_the_token_answer_has_the_published_keys_and_says_when_it_expires(sandbox):
    body = token().json()
    assert list(body) == list(fixture("oauth_token_response.json"))
    assert body["token_type"] == "bearer" and body["expires_in"] == 3598 and "platform.write" in body["scope"]


def test_a_token_works_only_in_its_own_environment(sandbox):
    other = {"Authorization": f"Bearer {token('eu-production').json()['access_token']}"}
    answer = requests.get(f"{BASE}/object-query/accounts", headers=other, timeout=5)
    assert answer.status_code == 401 and answer.json()["reasons"][0]["code"] == "90000011"


def test_an_account_read_has_the_recorded_shape_and_an_unknown_key_fails_inside_http_200(sandbox):
    created = requests.post(f"{BASE}/v1/accounts", json=ACCOUNT, headers=headers(), timeout=5).json()
    read = requests.get(f"{BASE}/v1/accounts/{created['accountId']}", headers=headers(), timeout=5).json()
    recorded = fixture("account_get_response.json")
    assert list(read) == list(recorded)
    assert list(read["billToContact"]) == list(recorded["billToContact"])
    assert list(read["billingAndPayment"]) == list(recorded["billingAndPayment"])
    missing = requests.get(f"{BASE}/v1/accounts/nope", headers=headers(), timeout=5)
    assert missing.status_code == 200 and list(missing.json()) == list(fixture("error_reasons_not_found.json"))
    assert missing.json()["reasons"][0]["code"] == 50000040


def test_a_payment_answer_has_the_recorded_keys(sandbox):
    account = requests.post(f"{BASE}/v1/accounts", json=ACCOUNT, headers=headers(), timeout=5).json()
    invoice = requests.post(
        f"{BASE}/v1/invoices",
        json={
            "accountId": account["accountId"],
            "invoiceDate": "2026-12-01",
            "status": "Posted",
            "invoiceItems": [{"chargeName": "Plan", "amount": 44.1, "serviceStartDate": "2026-12-01"}],
        },
        headers=headers(),
        timeout=5,
    ).json()
    payment = requests.post(
        f"{BASE}/v1/payments",
        json={
            "accountId": account["accountId"],
            "amount": 44.1,
            "currency": "USD",
            "type": "External",
            "invoices": [{"invoiceId": invoice["id"], "amount": 44.1}],
        },
        headers=headers(),
        timeout=5,
    ).json()
    assert set(fixture("payment_create_response.json")) - {"custom_field_picklist__c"} <= set(payment)
    assert payment["status"] == "Processed" and payment["gatewayState"] == "NotSubmitted"
    listed = requests.get(
        f"{BASE}/v1/transactions/invoices/accounts/{account['accountId']}", headers=headers(), timeout=5
    )
    recorded_invoice = fixture("invoices_by_account_response.json")["invoices"][0]
    shared = {
        "id",
        "accountId",
        "accountNumber",
        "invoiceDate",
        "invoiceNumber",
        "dueDate",
        "amount",
        "balance",
        "status",
    }
    assert shared <= set(listed.json()["invoices"][0]) and shared <= set(recorded_invoice)
    assert listed.json()["invoices"][0]["balance"] == 0


def test_an_idempotency_key_replays_the_first_answer_refuses_another_request_and_expires(sandbox):
    key = {"Idempotency-Key": "k-1"}
    first = requests.post(f"{BASE}/v1/accounts", json=ACCOUNT, headers=headers(**key), timeout=5)
    again = requests.post(f"{BASE}/v1/accounts", json={**ACCOUNT, "name": "Other"}, headers=headers(**key), timeout=5)
    assert again.json() == first.json() and len(sandbox["zuora"].tenant("us-sandbox-2").accounts) == 1
    elsewhere = requests.post(f"{BASE}/v1/payments", json={}, headers=headers(**key), timeout=5)
    assert elsewhere.status_code == 422
    sandbox["zuora"].state["keys_in_flight"] = 1
    assert requests.post(f"{BASE}/v1/accounts", json=ACCOUNT, headers=headers(**key), timeout=5).status_code == 409
    sandbox.clock.advance(24 * 3600 + 1)
    later = requests.post(f"{BASE}/v1/accounts", json=ACCOUNT, headers=headers(**key), timeout=5)
    assert later.json()["accountId"] != first.json()["accountId"], "a key is kept 24 hours"


def test_the_per_minute_limit_answers_429_with_its_headers(sandbox):
    sandbox["zuora"].config["requests_per_minute"] = {"api_sandbox": 3, "production": 3}
    auth = headers()
    answers = [requests.get(f"{BASE}/object-query/accounts", headers=auth, timeout=5) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Limit"].endswith("3;w=60") and "Retry-After" in answers[3].headers
    assert "Zuora-Request-Id" in answers[0].headers


def test_a_standalone_invoice_needs_unified_invoicing_and_a_posted_one_keeps_its_lines(sandbox):
    account = requests.post(f"{BASE}/v1/accounts", json=ACCOUNT, headers=headers(), timeout=5).json()
    body = {
        "accountId": account["accountId"],
        "invoiceDate": "2026-12-01",
        "status": "Posted",
        "invoiceItems": [{"chargeName": "Plan", "amount": 10, "serviceStartDate": "2026-12-01"}],
    }
    posted = requests.post(f"{BASE}/v1/invoices", json=body, headers=headers(), timeout=5).json()
    changed = requests.put(
        f"{BASE}/v1/invoices/{posted['id']}", json={"invoiceItems": []}, headers=headers(), timeout=5
    )
    assert changed.json()["success"] is False and str(changed.json()["reasons"][0]["code"]).endswith("30")
    sandbox["zuora"].tenant("us-sandbox-2").flags["unified_invoicing"] = False
    refused = requests.post(f"{BASE}/v1/invoices", json=body, headers=headers(), timeout=5).json()
    assert refused["success"] is False and str(refused["reasons"][0]["code"]).endswith("10")


def test_describe_lists_the_tenants_custom_fields_and_an_unknown_one_is_refused_by_category(sandbox):
    from xml.etree import ElementTree

    tenant = sandbox["zuora"].tenant("us-sandbox-2")
    answer = requests.get(f"{BASE}/v1/describe/Account", headers=headers(), timeout=5)
    root = ElementTree.fromstring(answer.text)  # noqa: S314 - our emulator's answer
    names = [f.findtext("name") for f in root.iterfind("./fields/field")]
    assert answer.headers["Content-Type"].startswith("text/xml") and root.findtext("name") == "Account"
    assert "AccountNumber" in names and "FreshBooksClientId__c" in names
    tenant.custom_fields["Account"].clear()
    refused = requests.post(
        f"{BASE}/v1/accounts", json={**ACCOUNT, "FreshBooksClientId__c": "7"}, headers=headers(), timeout=5
    ).json()
    assert refused["success"] is False and str(refused["reasons"][0]["code"]).endswith("21")
    assert "FreshBooksClientId__c" in refused["reasons"][0]["message"]


def test_the_demo_page_controls_unpost_an_invoice_and_remove_a_custom_field(sandbox):
    from connections.sandbox.wire import Request

    def control(path, fields):
        body = json.dumps(fields).encode()
        return emulator.handle_control(Request("POST", path, headers={"Content-Type": "application/json"}, body=body))

    emulator = sandbox["zuora"]
    tenant = emulator.tenant("us-sandbox-2")
    account = tenant.create_account(ACCOUNT)
    item = {"chargeName": "Plan", "amount": 10, "serviceStartDate": "2026-12-01"}
    invoice = tenant.create_invoice(
        {"accountId": account["id"], "invoiceDate": "2026-12-01", "status": "Posted", "invoiceItems": [item]},
        custom_fields=True,
    )
    answer = control("invoices/unpost", {"invoice": invoice["invoiceNumber"]})
    assert answer.status == 200 and answer.data()["status"] == "Draft"
    assert control("invoices/unpost", {"invoice": invoice["invoiceNumber"]}).status == 400, "a draft already"
    answer = control("tenants", {"FreshBooksClientId__c": "false"})
    assert answer.data()["custom_fields"]["Account"] == [] and tenant.custom_fields["Account"] == set()
    forms = [form.title for form in emulator.page_forms()]
    assert "Unpost an invoice (to correct it)" in forms
