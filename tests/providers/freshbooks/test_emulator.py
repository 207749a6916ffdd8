"""Accounting: envelopes, types, ids, lists, soft deletes, errors and scopes, as the FreshBooks notes say."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.providers.freshbooks.helpers import ACCOUNT, API, OTHER_ACCOUNT, SCOPES, accounting, connect, session_for

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@pytest.fixture
def client(make):
    return make("client", organization="Acme Corp", fname="Ada", lname="Lovelace", email="ada@acme.example")


@pytest.fixture
def invoice(make, client):
    return make(
        "invoice",
        customerid=client["id"],
        create_date="2026-01-05",
        due_offset_days=30,
        status=2,
        lines=[{"name": "Consulting", "qty": 3, "unit_cost": {"amount": "150.00"}}],
    )


def test_it_wraps_single_records_in_response_result(api, client):
    answer = api.get(accounting(f"users/clients/{client['id']}"), timeout=5)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["x-api-version"] == "2023-02-20"
    assert list(answer.json()) == ["response"] and list(answer.json()["response"]) == ["result"]
    assert answer.json()["response"]["result"]["client"]["organization"] == "Acme Corp"


def test_it_gives_money_as_string_amounts_with_a_currency_code(invoice):
    assert invoice["amount"] == {"amount": "450.00", "code": "USD"}
    assert invoice["outstanding"] == {"amount": "450.00", "code": "USD"}
    assert invoice["paid"] == {"amount": "0.00", "code": "USD"}


def test_it_names_the_client_customerid_on_invoices_and_clientid_on_payments_and_expenses(make, client, invoice):
    payment = make("payment", invoiceid=invoice["id"], amount={"amount": "100.00"}, date="2026-01-06")
    expense = make("expense", amount={"amount": "54.00", "code": "USD"}, vendor="Bakery", clientid=client["id"])
    assert invoice["customerid"] == client["id"] and "clientid" not in invoice
    assert payment["clientid"] == client["id"] and expense["clientid"] == client["id"]
    assert client["id"] == client["userid"] and invoice["id"] == invoice["invoiceid"]
    assert payment["id"] == payment["logid"] and expense["id"] == expense["expenseid"]


def test_it_stamps_accounting_records_with_naive_eastern_time(sandbox, client):
    now = datetime.fromtimestamp(sandbox.clock.now(), UTC)
    assert TIMESTAMP.fullmatch(client["updated"])
    assert client["updated"] == now.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M:%S")
    assert client["signup_date"] == now.strftime("%Y-%m-%d %H:%M:%S")


def test_it_includes_invoice_lines_only_when_asked(api, invoice):
    url = accounting(f"invoices/invoices/{invoice['id']}")
    plain = api.get(url, timeout=5).json()["response"]["result"]["invoice"]
    with_lines = api.get(url, params={"include[]": "lines"}, timeout=5).json()["response"]["result"]["invoice"]
    assert "lines" not in plain and "presentation" not in plain
    (line,) = with_lines["lines"]
    assert line["amount"] == {"amount": "450.00", "code": "USD"} and line["qty"] == "3"
    assert line["invoiceid"] == invoice["id"]


def test_it_computes_totals_with_discount_then_line_taxes(make, client):
    invoice = make(
        "invoice",
        customerid=client["id"],
        discount_value="10",
        lines=[
            {"name": "Bowls", "qty": 4, "unit_cost": {"amount": "5.00"}, "taxName1": "HST1", "taxAmount1": "13"},
            {"name": "Mugs", "qty": 6, "unit_cost": {"amount": "4.00"}},
        ],
    )
    assert invoice["amount"]["amount"] == "41.94"
    assert invoice["discount_total"]["amount"] == "-4.40"


def test_it_applies_payments_to_the_invoice(api, make, invoice):
    make("payment", invoiceid=invoice["id"], amount={"amount": "100.00"}, date="2026-01-06")
    partial = api.get(accounting(f"invoices/invoices/{invoice['id']}"), timeout=5).json()["response"]["result"]
    make("payment", invoiceid=invoice["id"], amount={"amount": "350.00"}, date="2026-01-07")
    paid = api.get(accounting(f"invoices/invoices/{invoice['id']}"), timeout=5).json()["response"]["result"]
    assert partial["invoice"]["outstanding"]["amount"] == "350.00"
    assert (partial["invoice"]["v3_status"], partial["invoice"]["payment_status"]) == ("partial", "partial")
    assert (paid["invoice"]["v3_status"], paid["invoice"]["status"], paid["invoice"]["date_paid"]) == (
        "paid",
        4,
        "2026-01-07",
    )


def test_it_updates_partially_with_put(api, client):
    answer = api.put(accounting(f"users/clients/{client['id']}"), json={"client": {"note": "VIP"}}, timeout=5)
    updated = answer.json()["response"]["result"]["client"]
    assert updated["note"] == "VIP" and updated["organization"] == "Acme Corp"


def test_it_soft_deletes_with_vis_state_and_still_finds_the_record_by_id(api, client):
    api.put(accounting(f"users/clients/{client['id']}"), json={"client": {"vis_state": 1}}, timeout=5)
    listed = api.get(accounting("users/clients"), timeout=5).json()["response"]["result"]
    deleted = api.get(accounting("users/clients"), params={"search[vis_state]": "1"}, timeout=5)
    found = api.get(accounting(f"users/clients/{client['id']}"), timeout=5).json()["response"]["result"]
    assert listed["clients"] == [] and listed["total"] == 0
    assert [c["id"] for c in deleted.json()["response"]["result"]["clients"]] == [client["id"]]
    assert found["client"]["vis_state"] == 1


def test_it_deletes_invoices_with_http_delete_as_a_soft_delete(api, invoice):
    answer = api.delete(accounting(f"invoices/invoices/{invoice['id']}"), timeout=5)
    assert answer.json()["response"]["result"]["invoice"]["vis_state"] == 1


def test_it_pages_lists_and_caps_per_page_at_100(api, make):
    for n in range(3):
        make("client", organization=f"Client {n}")
    first = api.get(accounting("users/clients"), params={"per_page": 2}, timeout=5).json()["response"]["result"]
    second = api.get(accounting("users/clients"), params={"per_page": 2, "page": 2}, timeout=5).json()
    capped = api.get(accounting("users/clients"), params={"per_page": 500}, timeout=5).json()["response"]["result"]
    default = api.get(accounting("users/clients"), timeout=5).json()["response"]["result"]
    assert {k: first[k] for k in ("page", "pages", "per_page", "total")} == {
        "page": 1,
        "pages": 2,
        "per_page": 2,
        "total": 3,
    }
    assert len(first["clients"]) == 2 and len(second["response"]["result"]["clients"]) == 1
    assert capped["per_page"] == 100 and default["per_page"] == 15


def test_it_filters_updated_min_by_day_not_by_time(sandbox, freshbooks):
    old = freshbooks.create(ACCOUNT, "client", {"organization": "Old"})
    sandbox.clock.advance(86400 * 2)
    new = freshbooks.create(ACCOUNT, "client", {"organization": "New"})
    day_of_new = new["updated"][:10]
    api = session_for(connect()["access_token"])

    def ids(value):
        result = api.get(accounting("users/clients"), params={"search[updated_min]": value}, timeout=5).json()
        return {c["id"] for c in result["response"]["result"]["clients"]}

    assert ids(day_of_new) == {new["id"]}
    assert ids(f"{day_of_new} 23:59:59") == {new["id"]}
    assert ids(old["updated"][:10]) == {old["id"], new["id"]}
    since = api.get(accounting("users/clients"), params={"search[updated_since]": "2099-01-01T00:00:00"}, timeout=5)
    assert since.json()["response"]["result"]["total"] == 2  # not an accounting filter: ignored


def test_it_searches_by_field_and_sorts_both_ways(api, make):
    make("client", organization="B", email="b@x.example")
    make("client", organization="A", email="a@x.example")
    found = api.get(accounting("users/clients"), params={"search[email]": "a@x.example"}, timeout=5).json()
    asc = api.get(accounting("users/clients"), params={"sort": "organization_asc"}, timeout=5).json()
    colon = api.get(accounting("users/clients"), params={"sort": "organization:desc"}, timeout=5).json()
    assert [c["organization"] for c in found["response"]["result"]["clients"]] == ["A"]
    assert [c["organization"] for c in asc["response"]["result"]["clients"]] == ["A", "B"]
    assert [c["organization"] for c in colon["response"]["result"]["clients"]] == ["B", "A"]


def test_it_answers_not_found_in_the_new_error_style_by_default(api):
    answer = api.get(accounting("users/clients/12345"), timeout=5)
    assert answer.status_code == 404
    assert answer.json() == {
        "code": 5,
        "message": "Request failed with status_code: 404",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "1012",
                "domain": "accounting.api.freshbooks.com",
                "metadata": {"object": "client", "message": "Client not found.", "value": "12345", "field": "userid"},
            }
        ],
    }


def test_it_can_answer_in_the_old_error_style_even_with_http_200(api, freshbooks):
    freshbooks.config.update(error_style="old", old_errors_with_http_200=True)
    answer = api.get(accounting("users/clients/12345"), timeout=5)
    assert answer.status_code == 200
    assert answer.json() == {
        "response": {
            "errors": [
                {"errno": 1012, "field": "userid", "message": "Client not found.", "object": "client", "value": "12345"}
            ]
        }
    }


def test_it_answers_401_in_the_old_style_when_configured(sandbox, freshbooks):
    freshbooks.config["error_style"] = "old"
    answer = requests.get(accounting("users/clients"), headers={"Authorization": "Bearer nope"}, timeout=5)
    assert answer.status_code == 401
    assert answer.json() == {
        "response": {
            "errors": [
                {
                    "message": "The server could not verify that you are authorized to access the URL requested.",
                    "errno": 1003,
                }
            ]
        }
    }


def test_it_refuses_a_token_without_the_scope_with_403_naming_both(sandbox):
    reader = session_for(connect(scope="user:clients:read")["access_token"])
    assert reader.get(accounting("users/clients"), timeout=5).status_code == 200
    answer = reader.post(accounting("users/clients"), json={"client": {"organization": "X"}}, timeout=5)
    assert answer.status_code == 403
    message = answer.json()["details"][0]["metadata"]["message"]
    assert "user:clients:read" in message and "user:clients:write" in message
    assert reader.get(accounting("invoices/invoices"), timeout=5).status_code == 403


def test_it_keeps_the_two_businesses_records_apart(api, client):
    other = api.get(accounting(f"users/clients/{client['id']}", account=OTHER_ACCOUNT), timeout=5)
    assert other.status_code == 404
    stranger = api.get(accounting("users/clients", account="NoSuch1"), timeout=5)
    assert stranger.status_code == 403


def test_it_answers_422_for_an_invoice_of_an_unknown_client(api):
    answer = api.post(accounting("invoices/invoices"), json={"invoice": {"customerid": 999}}, timeout=5)
    assert answer.status_code == 422


def test_it_lists_business_memberships_with_account_and_business_ids(api):
    me = api.get(f"{API}/auth/api/v1/users/me", timeout=5)
    assert me.headers["Content-Type"] == "application/json; charset=utf-8"
    body = me.json()["response"]
    assert "result" not in body and body["id"] == body["identity_id"]
    memberships = [(m["role"], m["business"]["account_id"], m["business"]["id"]) for m in body["business_memberships"]]
    assert memberships == [("owner", ACCOUNT, 5100001), ("business_employee", OTHER_ACCOUNT, 5100002)]


def test_it_applies_its_own_rate_limit_per_account_when_configured(api, freshbooks):
    freshbooks.config["rate_limit_per_minute"] = 2
    statuses = [api.get(accounting("users/clients"), timeout=5).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_it_answers_429_with_retry_after_during_a_rate_limit_fault(sandbox, api, freshbooks):
    freshbooks.faults.update({"rate_limit_seconds": 20, "retry_after": 20}, sandbox.clock.now())
    answer = api.get(accounting("users/clients"), timeout=5)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "20"
    sandbox.clock.advance(20)
    assert api.get(accounting("users/clients"), timeout=5).status_code == 200


# Keys of the public Python SDK's recorded project answer (tests/fixtures/get_project_response.json there).
PROJECT_KEYS = {
    "id", "title", "description", "due_date", "client_id", "internal", "budget", "fixed_price", "rate",
    "billing_method", "project_type", "project_manager_id", "active", "complete", "sample", "created_at",
    "updated_at", "logged_duration", "services", "billed_amount", "billed_status", "retainer_id",
    "expense_markup", "group",
}  # fmt: skip


def test_projects_are_read_by_business_id_in_the_projects_services_shape(sandbox, client):
    freshbooks = sandbox["freshbooks"]
    business = freshbooks.config["businesses"][0]["id"]
    project = freshbooks.create(ACCOUNT, "project", {"title": "Website redesign", "client_id": client["id"]})
    api = session_for(connect(SCOPES_WITH_PROJECTS)["access_token"])
    answer = api.get(f"{API}/projects/business/{business}/projects/{project['id']}", timeout=5)
    assert answer.status_code == 200 and set(answer.json()) == {"project", "abilities"}
    body = answer.json()["project"]
    assert set(body) == PROJECT_KEYS and body["client_id"] == client["id"] and body["internal"] is False
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", body["created_at"])
    missing = api.get(f"{API}/projects/business/{business}/projects/999", timeout=5)
    assert (missing.status_code, missing.json()) == (404, {"error": "Requested resource could not be found."})
    without_scope = session_for(connect()["access_token"])
    refused = without_scope.get(f"{API}/projects/business/{business}/projects/{project['id']}", timeout=5)
    assert refused.status_code == 403 and "user:projects:read" in refused.json()["message"]
    anonymous = requests.get(f"{API}/projects/business/{business}/projects/{project['id']}", timeout=5)
    assert anonymous.status_code == 401 and "could not verify" in anonymous.json()["message"]


SCOPES_WITH_PROJECTS = SCOPES + " user:projects:read"
