"""FreshBooks' receiver over real deliveries: each recorded form body, signed as FreshBooks signs it, through the
app's endpoint; and every event it takes is one something acts on (Zulip's webhook tests are the model).

The bodies are the ones `../shared/providers/freshbooks.md` section 3 quotes (no JSON capture of a delivery
exists): FreshBooks' own documentation example, a test event in the field order a public client saw, and a
captured verification handshake.
"""

import json
from urllib.parse import parse_qsl

import pytest
from django_scopes import scope, scopes_disabled

from connections import registry
from connections.providers.freshbooks.webhooks import RECEIVER, signature
from syncs.models import InboundEvent
from tests.factories import ConnectionFactory

VERIFIER = "scADVVi5QuKuj5qTjVkbJNYQe7V7USpGd"  # the notes' worked example: this verifier signs DOCS_EXAMPLE
DOCS_EXAMPLE_SIGNATURE = "/S03vyYmI7CekM4YXBHUhs9o5rnMtqGLrW3aA8S9gPc="  # as FreshBooks' snippet computes it
DOCS_EXAMPLE = b"name=invoice.create&object_id=1234567&account_id=6BApk&business_id=6543&identity_id=1234&user_id=1"
TEST_EVENT_ORDER = b"name=payment.create&object_id=88001&user_id=1&identity_id=1234&business_id=6543&account_id=6BApk"
HANDSHAKE = (
    b"user_id=214214&name=callback.verify&verifier=xf8pxDkZfSXuak7S4qaGQBvxArpMvqR&object_id=778599"
    b"&account_id=xazq5&system=https%3A%2F%2Fthumbworks.freshbooks.com"
)

# Declared and stored, but no flow and no mirror acts on them yet: a deletion is read again by the next update
# or poll of the record (FreshBooks deletes softly, vis_state), so nothing is lost, only late.
DECLARED_BUT_UNHANDLED = {
    "invoice.delete": "an invoice's deletion reaches the summary only with the client's next event or poll",
    "payment.delete": "a payment's deletion reaches the summary only with the client's next event or poll",
    "expense.delete": "an expense's deletion reaches the notes only with the client's next event or poll",
}


@pytest.fixture
def connection(tenant_a):
    with scopes_disabled():
        return ConnectionFactory(
            tenant=tenant_a,
            provider="freshbooks",
            addresses={"account_id": "6BApk"},
            webhook_secret=json.dumps({"2001": VERIFIER, "2002": VERIFIER}),
            settings={
                "webhooks": {
                    "callbacks": {"2001": {"event": "invoice", "verified": True}, "2002": {"event": "payment"}}
                }
            },
        )


def deliver(client, connection, body: bytes, key: str = VERIFIER):
    headers = {"X-FreshBooks-Hmac-SHA256": signature(key, parse_qsl(body.decode(), keep_blank_values=True))}
    return client.post(
        f"/webhooks/freshbooks/{connection.uuid}/",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


@pytest.mark.parametrize(
    ("body", "event_name", "object_id"),
    [(DOCS_EXAMPLE, "invoice.create", "1234567"), (TEST_EVENT_ORDER, "payment.create", "88001")],
)
def test_a_recorded_delivery_is_stored_as_its_event(client, connection, body, event_name, object_id):
    response = deliver(client, connection, body)
    assert response.status_code == 200 and response.json()["stored"] == 1
    with scope(tenant=connection.tenant):
        event = InboundEvent.objects.get(connection=connection)
    assert (event.event_name, event.object_type, event.object_id) == (event_name, event_name.split(".")[0], object_id)
    assert event.status != InboundEvent.Status.IGNORED, "stored for processing"


def test_the_recorded_handshake_keeps_its_verifier_and_stores_no_event(
    client, tenant_a, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        connection = ConnectionFactory(
            tenant=tenant_a,
            provider="freshbooks",
            addresses={"account_id": "xazq5"},
            settings={"webhooks": {"callbacks": {"778599": {"event": "invoice", "verified": False}}}},
        )
    verifier = dict(parse_qsl(HANDSHAKE.decode()))["verifier"]
    with django_capture_on_commit_callbacks() as confirms:
        response = deliver(client, connection, HANDSHAKE, key=verifier)
    assert response.status_code == 200 and response.json()["stored"] == 0
    connection.refresh_from_db()
    assert json.loads(connection.webhook_secret) == {"778599": verifier}
    assert len(confirms) == 1, "the verify PUT goes out once the verifier is stored"
    with scope(tenant=tenant_a):
        assert not InboundEvent.objects.filter(connection=connection).exists()


def test_the_documented_example_with_its_known_signature_is_accepted(client, connection):
    """Signed by the notes' worked example, not by our own code: a signing bug on our side would refuse it."""
    response = client.post(
        f"/webhooks/freshbooks/{connection.uuid}/",
        data=DOCS_EXAMPLE,
        content_type="application/x-www-form-urlencoded",
        headers={"X-FreshBooks-Hmac-SHA256": DOCS_EXAMPLE_SIGNATURE},
    )
    assert response.status_code == 200 and response.json()["stored"] == 1


def test_every_recorded_event_is_declared():
    recorded = {dict(parse_qsl(body.decode()))["name"] for body in (DOCS_EXAMPLE, TEST_EVENT_ORDER)}
    assert recorded <= RECEIVER.HANDLED_EVENTS


def test_every_declared_event_is_handled_by_a_flow_or_the_mirror():
    flows = registry.flows().values()
    acted_on = set().union(
        *(f.listens_to for f in flows if f.source_provider == "freshbooks"),
        *(f.target_listens_to for f in flows if f.target_provider == "freshbooks"),
        *(source.events | source.gone for source in registry.part("freshbooks", "mirror").values()),
    )
    unhandled = RECEIVER.HANDLED_EVENTS - acted_on
    assert unhandled == set(DECLARED_BUT_UNHANDLED), unhandled
