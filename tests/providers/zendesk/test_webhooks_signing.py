"""The Webhooks API of the Zendesk emulator and its signed event deliveries.

Signatures are checked by `zendesk_signature_is_valid` below, written from Zendesk's published rule (not from
the emulator's code): base64(HMAC-SHA256(key = the signing secret string as-is, message = the
X-Zendesk-Webhook-Signature-Timestamp header value followed directly by the raw body)).
"""

import base64
import hashlib
import hmac
import json

import pytest

from connections.providers.zendesk.emulator import sign_delivery
from tests.providers.zendesk.helpers import create_org, create_ticket, url

ENDPOINT = "https://app.example/webhooks/zendesk/1/"
ORG_CREATED = "zen:event-type:organization.created"
USER_CREATED = "zen:event-type:user.created"
TICKET_CREATED = "zen:event-type:ticket.created"

# Public test vector from aaronellington/zendesk-go (MIT): `zendesk/webhook_test.go` signs
# `test_files/requests/webhook/user/group_membership_created.json` with Zendesk's static test secret.
STATIC_TEST_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
VECTOR_TIMESTAMP = "1234"
VECTOR_SIGNATURE = "10IqYzYTLHRftNsNE+im0DeOM6/JactIRuy0XCHJ9B8="
VECTOR_BODY = (
    b'{\n\t"type": "zen:event-type:user.group_membership_created",\n\t"account_id": 12514403,\n\t'
    b'"id": "6b9bbadf-5725-4e92-bebe-7b71011bf5f1",\n\t"subject": "zen:user:6596848315901",\n\t'
    b'"time": "2099-07-04T05:33:18Z",\n\t"zendesk_event_version": "2022-06-20",\n\t"detail": {\n\t\t'
    b'"created_at": "2099-07-04T05:27:58Z",\n\t\t"default_group_id": "0",\n\t\t"email": "user.name@example.com",'
    b'\n\t\t"external_id": "",\n\t\t"id": "6596848315901",\n\t\t"organization_id": "0",\n\t\t"role": "end-user",'
    b'\n\t\t"updated_at": "2099-07-04T05:33:18Z"\n\t},\n\t"event": { "group": { "id": "1" } }\n}\n'
)


def zendesk_signature_is_valid(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    mac = hmac.HMAC(secret.encode("ascii"), digestmod="sha256")
    mac.update(timestamp.encode("ascii"))
    mac.update(body)
    return hmac.compare_digest(base64.b64encode(mac.digest()), signature.encode("ascii"))


@pytest.fixture
def received(zendesk):
    """Captures webhook attempts instead of sending them; answers 200."""
    from connections.sandbox import Response

    calls = []

    def sender(method, url_, headers, body, timeout):
        calls.append({"method": method, "url": url_, "headers": headers, "body": body})
        return Response(200, b"", {})

    zendesk.outbox.sender = sender
    return calls


def create_webhook(api, subscriptions, **extra):
    webhook = {
        "name": "ml-connector",
        "status": "active",
        "endpoint": ENDPOINT,
        "http_method": "POST",
        "request_format": "json",
        "subscriptions": subscriptions,
        **extra,
    }
    answer = api.post(url("/api/v2/webhooks"), json={"webhook": webhook}, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()["webhook"]


def signing_secret(api, webhook_id):
    return api.get(url(f"/api/v2/webhooks/{webhook_id}/signing_secret"), timeout=5).json()["signing_secret"]["secret"]


# The rule itself --------------------------------------------------------------------------------------


def test_the_independent_verifier_accepts_the_published_test_vector():
    assert zendesk_signature_is_valid(STATIC_TEST_SECRET, VECTOR_TIMESTAMP, VECTOR_BODY, VECTOR_SIGNATURE)


def test_the_emulator_signs_the_published_test_vector_identically():
    assert sign_delivery(STATIC_TEST_SECRET, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_the_key_is_the_literal_secret_not_its_base64_decoding():
    decoded_key = base64.b64decode(STATIC_TEST_SECRET)
    wrong = base64.b64encode(
        hmac.new(decoded_key, VECTOR_TIMESTAMP.encode() + VECTOR_BODY, hashlib.sha256).digest()
    ).decode()

    assert wrong != VECTOR_SIGNATURE


# The Webhooks API -------------------------------------------------------------------------------------


def test_a_webhook_is_created_with_event_subscriptions_and_a_ulid(admin_api, zendesk):
    answer = admin_api.post(
        url("/api/v2/webhooks"),
        json={
            "webhook": {
                "name": "ml-connector",
                "status": "active",
                "endpoint": ENDPOINT,
                "http_method": "POST",
                "request_format": "json",
                "subscriptions": [ORG_CREATED, "zen:event-type:organization.name_changed"],
                "authentication": {
                    "type": "basic_auth",
                    "data": {"username": "zd", "password": "hunter2"},
                    "add_position": "header",
                },
            }
        },
        timeout=5,
    )

    assert answer.status_code == 201
    webhook = answer.json()["webhook"]
    assert len(webhook["id"]) == 26
    assert webhook["id"].isalnum()
    assert webhook["created_by"] == str(zendesk.account("acme").admin.id)
    assert webhook["created_at"].endswith("000Z")
    assert webhook["subscriptions"] == [ORG_CREATED, "zen:event-type:organization.name_changed"]
    assert webhook["authentication"] == {"type": "basic_auth", "data": {"username": "zd"}, "add_position": "header"}
    assert "hunter2" not in answer.text


def test_showing_a_webhook_gives_created_at_to_the_second(admin_api):
    webhook = create_webhook(admin_api, [ORG_CREATED])

    shown = admin_api.get(url(f"/api/v2/webhooks/{webhook['id']}"), timeout=5).json()["webhook"]

    assert shown["created_at"].endswith("Z")
    assert len(shown["created_at"]) == len("2023-09-18T23:38:21Z")


def test_event_subscribed_webhooks_must_post_json(admin_api):
    answer = admin_api.post(
        url("/api/v2/webhooks"),
        json={
            "webhook": {
                "name": "x",
                "status": "active",
                "endpoint": ENDPOINT,
                "http_method": "GET",
                "request_format": "json",
                "subscriptions": [ORG_CREATED],
            }
        },
        timeout=5,
    )

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"]


def test_conditional_ticket_events_cannot_be_mixed_with_event_types(admin_api):
    answer = admin_api.post(
        url("/api/v2/webhooks"),
        json={
            "webhook": {
                "name": "x",
                "status": "active",
                "endpoint": ENDPOINT,
                "http_method": "POST",
                "request_format": "json",
                "subscriptions": ["conditional_ticket_events", ORG_CREATED],
            }
        },
        timeout=5,
    )

    assert answer.status_code == 400


def test_the_signing_secret_is_shown_and_reset(admin_api):
    webhook = create_webhook(admin_api, [ORG_CREATED])
    shown = admin_api.get(url(f"/api/v2/webhooks/{webhook['id']}/signing_secret"), timeout=5)

    reset = admin_api.post(url(f"/api/v2/webhooks/{webhook['id']}/signing_secret"), timeout=5)

    assert shown.status_code == 200
    assert shown.json()["signing_secret"]["algorithm"] == "SHA256"
    assert len(base64.b64decode(shown.json()["signing_secret"]["secret"])) == 32
    assert reset.status_code == 201
    assert reset.json()["signing_secret"]["secret"] != shown.json()["signing_secret"]["secret"]
    assert signing_secret(admin_api, webhook["id"]) == reset.json()["signing_secret"]["secret"]


def test_webhooks_are_listed_filtered_and_deleted(admin_api):
    keep = create_webhook(admin_api, [ORG_CREATED], name="Billing sync")
    drop = create_webhook(admin_api, [USER_CREATED], name="Other")

    listed = admin_api.get(url("/api/v2/webhooks"), timeout=5).json()
    filtered = admin_api.get(url("/api/v2/webhooks"), params={"filter[name_contains]": "billing"}, timeout=5).json()
    deleted = admin_api.delete(url(f"/api/v2/webhooks/{drop['id']}"), timeout=5)
    after = admin_api.get(url("/api/v2/webhooks"), timeout=5).json()

    assert listed["meta"] == {"has_more": False}
    assert {w["id"] for w in listed["webhooks"]} == {keep["id"], drop["id"]}
    assert [w["id"] for w in filtered["webhooks"]] == [keep["id"]]
    assert deleted.status_code == 204
    assert [w["id"] for w in after["webhooks"]] == [keep["id"]]
    assert admin_api.get(url(f"/api/v2/webhooks/{drop['id']}"), timeout=5).status_code == 404


# Deliveries -------------------------------------------------------------------------------------------


def test_organization_created_is_delivered_signed_with_the_recorded_headers(admin_api, sandbox, received):
    webhook = create_webhook(admin_api, [ORG_CREATED])
    secret = signing_secret(admin_api, webhook["id"])
    org = create_org(admin_api, "Acme Ltd", external_id="fb-7")

    sandbox.deliver()

    assert len(received) == 1
    call = received[0]
    headers = call["headers"]
    assert call["url"] == ENDPOINT
    assert list(headers)[:7] == [
        "X-Zendesk-Webhook-Signature-Timestamp",
        "X-Zendesk-Webhook-Signature",
        "Content-Type",
        "User-Agent",
        "X-Zendesk-Account-Id",
        "X-Zendesk-Webhook-Id",
        "X-Zendesk-Webhook-Invocation-Id",
    ]
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["User-Agent"] == "Zendesk Webhook"
    assert headers["X-Zendesk-Webhook-Id"] == webhook["id"]
    assert headers["X-Zendesk-Webhook-Signature-Timestamp"] == "2026-01-01T00:00:00Z"
    assert zendesk_signature_is_valid(
        secret, headers["X-Zendesk-Webhook-Signature-Timestamp"], call["body"], headers["X-Zendesk-Webhook-Signature"]
    )
    payload = json.loads(call["body"])
    assert payload["type"] == ORG_CREATED
    assert payload["subject"] == f"zen:organization:{org['id']}"
    assert payload["detail"]["id"] == str(org["id"])
    assert payload["detail"]["external_id"] == "fb-7"
    assert payload["detail"]["group_id"] == "0"
    assert payload["event"] == {}


def test_user_created_and_ticket_created_are_delivered_signed(admin_api, sandbox, received):
    webhook = create_webhook(admin_api, [USER_CREATED, TICKET_CREATED])
    secret = signing_secret(admin_api, webhook["id"])
    org = create_org(admin_api, "Quiet Ltd")
    user = admin_api.post(
        url("/api/v2/users.json"), json={"user": {"name": "Jo", "email": "jo@example.com"}}, timeout=5
    )
    ticket = create_ticket(admin_api, org["id"])

    sandbox.deliver()

    payloads = [json.loads(call["body"]) for call in received]
    assert [p["type"] for p in payloads] == [USER_CREATED, TICKET_CREATED]
    assert payloads[0]["detail"]["email"] == "jo@example.com"
    assert payloads[0]["subject"] == f"zen:user:{user.json()['user']['id']}"
    assert payloads[1]["subject"] == f"zen:ticket:{ticket['id']}"
    assert payloads[1]["detail"]["organization_id"] == str(org["id"])
    for call in received:
        headers = call["headers"]
        assert zendesk_signature_is_valid(
            secret,
            headers["X-Zendesk-Webhook-Signature-Timestamp"],
            call["body"],
            headers["X-Zendesk-Webhook-Signature"],
        )


def test_only_active_subscribed_webhooks_receive_an_event(admin_api, sandbox, received, zendesk):
    create_webhook(admin_api, [USER_CREATED])
    create_webhook(admin_api, [ORG_CREATED], status="inactive")

    create_org(admin_api, "Nobody Listens")
    sandbox.deliver()

    assert received == []


def test_each_attempt_is_signed_at_its_send_time_with_the_current_secret(admin_api, sandbox, received, zendesk):
    webhook = create_webhook(admin_api, [ORG_CREATED])
    create_org(admin_api, "Later Ltd")
    sandbox.clock.advance(90)
    new_secret = admin_api.post(url(f"/api/v2/webhooks/{webhook['id']}/signing_secret"), timeout=5).json()

    sandbox.deliver()

    headers = received[0]["headers"]
    assert headers["X-Zendesk-Webhook-Signature-Timestamp"] == "2026-01-01T00:01:30Z"
    assert zendesk_signature_is_valid(
        new_secret["signing_secret"]["secret"],
        headers["X-Zendesk-Webhook-Signature-Timestamp"],
        received[0]["body"],
        headers["X-Zendesk-Webhook-Signature"],
    )


def test_the_body_is_pretty_printed_like_the_recorded_delivery_unless_configured(admin_api, sandbox, received, zendesk):
    create_webhook(admin_api, [ORG_CREATED])
    create_org(admin_api, "Pretty Ltd")
    zendesk.config["delivery_body_style"] = "compact"
    create_org(admin_api, "Compact Ltd")

    sandbox.deliver()

    pretty, compact = received[0]["body"].decode(), received[1]["body"].decode()
    assert pretty.startswith('{\n   "account_id": ')
    assert pretty.endswith("}\n")
    assert "\n" not in compact


def test_each_event_has_its_own_id_for_deduplication(admin_api, sandbox, received):
    create_webhook(admin_api, [ORG_CREATED])
    create_org(admin_api, "One")
    create_org(admin_api, "Two")

    sandbox.deliver()

    ids = [json.loads(call["body"])["id"] for call in received]
    assert len(set(ids)) == 2


def test_a_webhooks_own_authentication_is_sent_with_each_delivery(admin_api, sandbox, received):
    create_webhook(
        admin_api,
        [ORG_CREATED],
        authentication={"type": "bearer_token", "data": {"token": "t0ken"}, "add_position": "header"},
    )
    create_org(admin_api, "Authed Ltd")

    sandbox.deliver()

    assert received[0]["headers"]["Authorization"] == "Bearer t0ken"


def test_name_changes_fire_name_changed_but_notes_fire_nothing(admin_api, sandbox, received):
    create_webhook(admin_api, ["zen:event-type:organization.name_changed", ORG_CREATED])
    org = create_org(admin_api, "Old Name")
    sandbox.deliver()
    received.clear()

    admin_api.put(url(f"/api/v2/organizations/{org['id']}.json"), json={"organization": {"notes": "n"}}, timeout=5)
    admin_api.put(url(f"/api/v2/organizations/{org['id']}.json"), json={"organization": {"name": "New"}}, timeout=5)
    sandbox.deliver()

    payloads = [json.loads(call["body"]) for call in received]
    assert [p["type"] for p in payloads] == ["zen:event-type:organization.name_changed"]
    assert payloads[0]["event"] == {"current": "New", "previous": "Old Name"}


def test_records_created_through_the_control_api_fire_events_too(admin_api, sandbox, received, zendesk):
    from connections.sandbox import Request

    create_webhook(admin_api, [ORG_CREATED])

    answer = zendesk.handle_control(
        Request(
            "POST",
            "records/organization",
            headers={"Content-Type": "application/json"},
            body=json.dumps({"subdomain": "acme", "name": "From The Page"}).encode(),
        )
    )
    sandbox.deliver()

    assert answer.status == 201
    assert json.loads(received[0]["body"])["detail"]["name"] == "From The Page"


def test_a_duplicated_delivery_carries_the_same_event_id_so_receivers_can_dedupe(admin_api, sandbox, received, zendesk):
    zendesk.outbox.policy.update({"duplicate_rate": 1})
    create_webhook(admin_api, [ORG_CREATED])
    create_org(admin_api, "Twice Ltd")

    sandbox.deliver()

    ids = [json.loads(call["body"])["id"] for call in received]
    assert len(ids) == 2
    assert ids[0] == ids[1]


def test_the_journal_never_shows_a_signing_secret_or_a_webhook_password(admin_api, zendesk, sandbox, received):
    webhook = create_webhook(
        admin_api,
        [ORG_CREATED],
        authentication={"type": "basic_auth", "data": {"username": "zd", "password": "hunter2-hunter2"}},
    )
    secret = signing_secret(admin_api, webhook["id"])
    reset = admin_api.post(url(f"/api/v2/webhooks/{webhook['id']}/signing_secret"), timeout=5).json()
    create_org(admin_api, "Journaled Ltd")
    sandbox.deliver()

    journal = json.dumps([entry.as_dict() for entry in zendesk.journal.entries()])

    assert secret not in journal
    assert reset["signing_secret"]["secret"] not in journal
    assert "hunter2-hunter2" not in journal
    assert base64.b64encode(b"zd:hunter2-hunter2").decode() not in journal


def test_the_journal_never_shows_an_api_key_webhook_secret(admin_api, zendesk, sandbox, received):
    create_webhook(
        admin_api,
        [ORG_CREATED],
        authentication={"type": "api_key", "data": {"name": "X-Hook-Key", "value": "key-value-0123456789-abc"}},
    )
    create_org(admin_api, "Keyed Ltd")
    sandbox.deliver()

    journal = json.dumps([entry.as_dict() for entry in zendesk.journal.entries()])

    assert received[0]["headers"]["X-Hook-Key"] == "key-value-0123456789-abc"
    assert "key-value-0123456789-abc" not in journal
