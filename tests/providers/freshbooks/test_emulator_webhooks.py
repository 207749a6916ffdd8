"""The events service: callbacks, the verification handshake, and signed form-encoded deliveries."""

import json
from types import SimpleNamespace
from urllib.parse import parse_qsl

import pytest
import responses

from connections.providers.freshbooks.emulator import sign
from tests.providers.freshbooks.helpers import ACCOUNT, API, accounting, receiver_signature

HOOK = "https://app.example/webhooks/freshbooks/7c1f"
CALLBACKS = f"{API}/events/account/{ACCOUNT}/events/callbacks"


@pytest.fixture
def hook(sandbox):
    sandbox.mock.add(responses.POST, HOOK, status=200)
    return HOOK


def posts_to(sandbox, url=HOOK):
    """What reached the receiver: headers and the body as text."""
    return [
        SimpleNamespace(headers=call.request.headers, body=call.request.body.decode())
        for call in sandbox.mock.calls
        if call.request.url == url
    ]


def register(api, event="invoice", uri=HOOK):
    answer = api.post(CALLBACKS, json={"callback": {"event": event, "uri": uri}}, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()["response"]["result"]["callback"]


def register_and_verify(sandbox, api, event="invoice"):
    callback = register(api, event)
    sandbox.deliver()
    verify_post = posts_to(sandbox)[-1]
    verifier = dict(parse_qsl(verify_post.body))["verifier"]
    answer = api.put(f"{CALLBACKS}/{callback['callbackid']}", json={"callback": {"verifier": verifier}}, timeout=5)
    assert answer.json()["response"]["result"]["callback"]["verified"] is True
    return callback, verifier


def test_the_test_rule_reproduces_the_worked_example_from_the_notes():
    body = b"name=invoice.create&object_id=1234567&account_id=6BApk&business_id=6543&identity_id=1234&user_id=1"
    expected = "/S03vyYmI7CekM4YXBHUhs9o5rnMtqGLrW3aA8S9gPc="
    assert receiver_signature("scADVVi5QuKuj5qTjVkbJNYQe7V7USpGd", body) == expected
    assert sign("scADVVi5QuKuj5qTjVkbJNYQe7V7USpGd", parse_qsl(body.decode())) == expected


def test_it_registers_an_unverified_callback(api, hook):
    callback = register(api)
    assert set(callback) == {"callbackid", "event", "uri", "verified", "updated_at"}
    assert callback["verified"] is False and callback["uri"] == HOOK and callback["updated_at"].endswith("Z")


def test_it_posts_the_verifier_to_the_uri_as_a_signed_form(sandbox, api, hook):
    callback = register(api)
    sandbox.deliver()

    (post,) = posts_to(sandbox)
    fields = parse_qsl(post.body)
    assert [k for k, _ in fields] == ["user_id", "name", "verifier", "object_id", "account_id", "system"]
    values = dict(fields)
    assert values["name"] == "callback.verify" and values["object_id"] == str(callback["callbackid"])
    assert post.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert post.headers["X-FreshBooks-Hmac-SHA256"] == receiver_signature(values["verifier"], post.body.encode())


def test_it_refuses_a_wrong_verifier_and_can_resend_the_right_one(sandbox, api, hook):
    callback = register(api)
    url = f"{CALLBACKS}/{callback['callbackid']}"
    wrong = api.put(url, json={"callback": {"verifier": "guess"}}, timeout=5)
    api.put(url, json={"callback": {"resend": True}}, timeout=5)
    sandbox.deliver()
    first, second = posts_to(sandbox)
    assert wrong.status_code == 422
    assert dict(parse_qsl(first.body))["verifier"] == dict(parse_qsl(second.body))["verifier"]


def test_it_delivers_nothing_before_verification(sandbox, api, make, hook):
    register(api)
    sandbox.deliver()
    make("client", organization="Acme")
    sandbox.deliver()
    assert [dict(parse_qsl(p.body))["name"] for p in posts_to(sandbox)] == ["callback.verify"]


@pytest.mark.parametrize("action", ["create", "update", "delete"])
@pytest.mark.parametrize("kind", ["client", "invoice", "payment", "expense"])
def test_it_delivers_signed_events_for_every_kind_and_action(sandbox, api, freshbooks, hook, kind, action):
    _, verifier = register_and_verify(sandbox, api, event=f"{kind}.{action}")
    client = freshbooks.create(ACCOUNT, "client", {"organization": "Acme"})
    invoice = freshbooks.create(ACCOUNT, "invoice", {"customerid": client["id"], "lines": [{"unit_cost": "5"}]})
    records = {
        "client": client,
        "invoice": invoice,
        "payment": freshbooks.create(ACCOUNT, "payment", {"invoiceid": invoice["id"], "amount": {"amount": "1"}}),
        "expense": freshbooks.create(ACCOUNT, "expense", {"vendor": "V", "amount": {"amount": "2", "code": "USD"}}),
    }
    object_id = records[kind]["id"]
    if action != "create":
        freshbooks.update(ACCOUNT, kind, object_id, {"vis_state": 1 if action == "delete" else 0})
    sandbox.deliver()

    post = posts_to(sandbox)[-1]
    fields = parse_qsl(post.body)
    assert fields == [
        ("name", f"{kind}.{action}"),
        ("object_id", str(object_id)),
        ("account_id", ACCOUNT),
        ("business_id", "5100001"),
        ("identity_id", "3300101"),
        ("user_id", "1"),
    ]
    assert post.headers["X-FreshBooks-Hmac-SHA256"] == receiver_signature(verifier, post.body.encode())


def test_it_matches_a_parent_event_to_all_its_actions(sandbox, api, make, hook):
    register_and_verify(sandbox, api, event="client")
    client = make("client", organization="Acme")
    api.put(accounting(f"users/clients/{client['id']}"), json={"client": {"note": "x"}}, timeout=5)
    api.put(accounting(f"users/clients/{client['id']}"), json={"client": {"vis_state": 1}}, timeout=5)
    make("expense", vendor="Not a client event", amount={"amount": "1", "code": "USD"})
    sandbox.deliver()
    names = [dict(parse_qsl(p.body))["name"] for p in posts_to(sandbox)]
    assert names == ["callback.verify", "client.create", "client.update", "client.delete"]


def test_it_sends_invoice_update_when_a_payment_changes_the_invoice(sandbox, api, make, hook):
    register_and_verify(sandbox, api, event="invoice.update")
    client = make("client", organization="Acme")
    invoice = make("invoice", customerid=client["id"], lines=[{"unit_cost": {"amount": "10"}}])
    make("payment", invoiceid=invoice["id"], amount={"amount": "10"})
    sandbox.deliver()
    assert [dict(parse_qsl(p.body))["object_id"] for p in posts_to(sandbox)[1:]] == [str(invoice["id"])]


def test_it_can_send_the_fields_in_the_other_order_seen_in_the_wild(sandbox, api, freshbooks, make, hook):
    freshbooks.config["delivery_field_order"] = "pipedream"
    _, verifier = register_and_verify(sandbox, api, event="client.create")
    make("client", organization="Acme")
    sandbox.deliver()
    post = posts_to(sandbox)[-1]
    keys = [k for k, _ in parse_qsl(post.body)]
    assert keys == ["name", "object_id", "user_id", "identity_id", "business_id", "account_id"]
    assert post.headers["X-FreshBooks-Hmac-SHA256"] == receiver_signature(verifier, post.body.encode())


def test_it_signs_values_with_characters_that_break_naive_ports(sandbox, freshbooks, hook):
    freshbooks.config["system_url"] = "https://caf\u00e9.example:443/a,b"
    callback = freshbooks.add_callback(ACCOUNT, "invoice", HOOK)
    sandbox.deliver()
    post = posts_to(sandbox)[-1]
    assert post.headers["X-FreshBooks-Hmac-SHA256"] == receiver_signature(callback["verifier"], post.body.encode())


def test_it_lists_gets_and_deletes_callbacks(sandbox, api, hook):
    invoice_cb = register(api, "invoice.create")
    register(api, "client")
    listed = api.get(CALLBACKS, params={"search[event]": "invoice"}, timeout=5).json()["response"]["result"]
    got = api.get(f"{CALLBACKS}/{invoice_cb['callbackid']}", timeout=5)
    deleted = api.delete(f"{CALLBACKS}/{invoice_cb['callbackid']}", timeout=5)
    gone = api.get(f"{CALLBACKS}/{invoice_cb['callbackid']}", timeout=5)

    assert [c["event"] for c in listed["callbacks"]] == ["invoice.create"]
    assert {k: listed[k] for k in ("page", "pages", "per_page", "total")} == {
        "page": 1,
        "pages": 1,
        "per_page": 15,
        "total": 1,
    }
    assert got.json()["response"]["result"]["callback"]["callbackid"] == invoice_cb["callbackid"]
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert gone.status_code == 404
    assert gone.json() == {"errno": 404, "message": "Requested resource could not be found."}


def test_it_refuses_an_unknown_event_or_a_bad_uri_with_422(api):
    answer = api.post(CALLBACKS, json={"callback": {"event": "invoice.explode", "uri": "not a url"}}, timeout=5)
    assert answer.status_code == 422
    assert answer.json()["code"] == 3
    violations = answer.json()["details"][0]["fieldViolations"]
    assert [v["field"] for v in violations] == ["event", "uri"]


def test_it_retries_failed_deliveries_then_disables_the_callback_when_configured(sandbox, api, freshbooks, make):
    sandbox.mock.add(responses.POST, HOOK, status=200)
    callback, _ = register_and_verify(sandbox, api, event="client.create")
    sandbox.mock.replace(responses.POST, HOOK, status=503)
    freshbooks.outbox.policy.update({"retries": 1, "backoff_seconds": 30, "disable_after_failures": 1})
    make("client", organization="Acme")

    sandbox.deliver()
    sandbox.deliver(advance=30)
    make("client", organization="Globex")
    sandbox.deliver(advance=30)

    notes = [e.note for e in freshbooks.journal.entries(kind="delivery")][1:]
    assert notes == ["attempt 1/2: pending", "attempt 2/2: failed; subscription disabled"]
    shown = api.get(f"{CALLBACKS}/{callback['callbackid']}", timeout=5).json()["response"]["result"]["callback"]
    assert shown["verified"] is False


def test_it_journals_deliveries_without_the_verifier(sandbox, api, hook):
    _, verifier = register_and_verify(sandbox, api, event="client")
    journal = json.dumps([e.as_dict() for e in sandbox["freshbooks"].journal.entries()])
    assert verifier not in journal
