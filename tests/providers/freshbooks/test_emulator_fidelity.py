"""The emulator against real payloads: for each fixture in ../shared/fixtures/freshbooks/, the emulator's answer
to the same request has the same keys, recursively, and the same JSON types.

The fixtures are the SDK author's (PROVENANCE.txt); two of their artefacts are corrected here, as that file says:
the client's `test_amount` is no API field, and real balances carry string amounts.
"""

import json
from pathlib import Path

import pytest
from django.conf import settings

from tests.providers.freshbooks.conftest import accounting, connect, session_for

FIXTURES = Path(settings.BASE_DIR).parent / "shared" / "fixtures" / "freshbooks"
ACCOUNT = "ABC123"
BUSINESSES = [
    {"id": 439000, "account_id": "ABC123", "name": "Commonwealth of Independent Systems", "role": "owner", "userid": 1},
    {"id": 438000, "account_id": "ABC124", "name": "Bayern Corporation", "role": "business_employee", "userid": 2},
]


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_differences(expected, actual, path="$") -> list[str]:
    """Where `actual` differs from `expected` in keys or JSON types; array items are compared with the fixture's
    item at the same index (or its first item when the emulator returns more)."""
    if json_type(expected) != json_type(actual):
        return [f"{path}: {json_type(expected)} in the fixture, {json_type(actual)} from the emulator"]
    differences = []
    if isinstance(expected, dict):
        for key in sorted(expected.keys() - actual.keys()):
            differences.append(f"{path}.{key}: missing from the emulator")
        for key in sorted(actual.keys() - expected.keys()):
            differences.append(f"{path}.{key}: not in the fixture")
        for key in sorted(expected.keys() & actual.keys()):
            differences += shape_differences(expected[key], actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and expected:
        for i, item in enumerate(actual):
            differences += shape_differences(expected[min(i, len(expected) - 1)], item, f"{path}[{i}]")
    return differences


def test_the_shape_check_catches_missing_keys_and_changed_types():
    assert shape_differences({"a": {"b": "1"}, "c": [1]}, {"a": {"b": 1}, "c": [1, "x"], "d": None}) == [
        "$.d: not in the fixture",
        "$.a.b: string in the fixture, number from the emulator",
        "$.c[1]: number in the fixture, string from the emulator",
    ]


@pytest.fixture
def freshbooks(sandbox):
    emulator = sandbox["freshbooks"]
    emulator.reset(
        config={
            "businesses": BUSINESSES,
            "identity": {
                "id": 12345,
                "identity_uuid": "a_uuid",
                "first_name": "Simon",
                "last_name": "Kovalic",
                "email": "skovalic@cis.com",
            },
        }
    )
    return emulator


@pytest.fixture
def api(freshbooks):
    return session_for(connect()["access_token"])


@pytest.fixture
def records(freshbooks):
    """The fixtures' own records, created in the emulator with the values the fixtures show."""
    client = freshbooks.create(
        ACCOUNT,
        "client",
        {
            "organization": "American Cyanamid",
            "fname": "Gordon",
            "lname": "Shumway",
            "email": "gordon.shumway@AmericanCyanamid.com",
            "currency_code": "CAD",
            "note": "I like cats",
            "username": "alf",
            "bus_phone": "416-867-5309",
            "p_street": "123 Huron St",
            "p_city": "Toronto",
            "p_province": "ON",
            "p_country": "Canada",
            "p_code": "M5T 2B3",
        },
    )
    invoice = freshbooks.create(
        ACCOUNT,
        "invoice",
        {
            "customerid": client["id"],
            "create_date": "2021-04-16",
            "status": 2,
            "description": "Melmac melamine resin molded dinnerware",
            "notes": "Thanks for your business",
            "discount_value": "10",
            "deposit_amount": {"amount": "1.00"},
            "deposit_percentage": "1.5",
            "vat_name": "VAT Number",
            "vat_number": "123",
            "lines": [
                {
                    "name": "Bowls",
                    "qty": "4",
                    "unit_cost": {"amount": "5.00"},
                    "taxName1": "HST1",
                    "taxAmount1": "13",
                    "taxNumber1": "RT",
                },
                {"name": "Mugs", "qty": "6", "unit_cost": {"amount": "4.00"}, "taxName1": "", "taxName2": ""},
            ],
        },
    )
    payment = freshbooks.create(
        ACCOUNT,
        "payment",
        {"invoiceid": invoice["id"], "amount": {"amount": "20.00"}, "date": "2021-04-16", "note": "Some note"},
    )
    expense = freshbooks.create(
        ACCOUNT,
        "expense",
        {
            "amount": {"amount": "54.00", "code": "CAD"},
            "vendor": "Serano Bakery",
            "notes": "For lunch",
            "date": "2021-07-19",
            "categoryid": 654654,
            "bank_name": "ABC Bank",
            "profileid": 6541,
            "taxName1": "HST1",
            "taxAmount1": {"amount": "6.21", "code": "CAD"},
            "attachment": {"jwt": "someAwesomeJWT", "media_type": "image/jpeg"},
        },
    )
    return {"client": client, "invoice": invoice, "payment": payment, "expense": expense}


def test_it_answers_users_me_like_the_fixture(api):
    expected = fixture("auth_me_response.json")
    answer = api.get("https://api.freshbooks.com/auth/api/v1/users/me", timeout=5)
    assert answer.status_code == 200
    assert shape_differences(expected, answer.json()) == []


def test_it_answers_a_client_like_the_fixture(api, records):
    expected = fixture("get_client_response.json")
    client = expected["response"]["result"]["client"]
    del client["test_amount"]
    for balance in client["outstanding_balance"]:
        balance["amount"]["amount"] = str(balance["amount"]["amount"])
    answer = api.get(
        accounting(f"users/clients/{records['client']['id']}", account=ACCOUNT),
        params=[("include[]", "outstanding_balance"), ("include[]", "grand_total_balance")],
        timeout=5,
    )
    assert answer.status_code == 200
    assert shape_differences(expected, answer.json()) == []


def test_it_answers_an_invoice_with_lines_and_presentation_like_the_fixture(api, records):
    expected = fixture("get_invoice_response.json")
    answer = api.get(
        accounting(f"invoices/invoices/{records['invoice']['id']}", account=ACCOUNT),
        params=[("include[]", "lines"), ("include[]", "presentation")],
        timeout=5,
    )
    assert shape_differences(expected, answer.json()) == []
    invoice = answer.json()["response"]["result"]["invoice"]
    fixture_invoice = expected["response"]["result"]["invoice"]
    for field in ("amount", "discount_total", "paid", "outstanding"):
        assert invoice[field] == fixture_invoice[field], field
    assert (invoice["v3_status"], invoice["payment_status"], invoice["status"]) == ("partial", "partial", 8)


def test_it_answers_a_payment_like_the_fixture(api, records):
    answer = api.get(accounting(f"payments/payments/{records['payment']['id']}", account=ACCOUNT), timeout=5)
    assert shape_differences(fixture("get_payment_response.json"), answer.json()) == []


def test_it_answers_an_expense_like_the_fixture(api, records):
    answer = api.get(accounting(f"expenses/expenses/{records['expense']['id']}", account=ACCOUNT), timeout=5)
    assert shape_differences(fixture("get_expense_response.json"), answer.json()) == []


def test_it_answers_a_bad_token_with_exactly_the_fixtures_401(freshbooks):
    session = session_for("not-a-token")
    answer = session.get(accounting("users/clients/12345", account=ACCOUNT), timeout=5)
    assert answer.status_code == 401
    assert answer.json() == fixture("get_client_response__no_auth.json")
