"""Zendesk's receiver over real deliveries: each recorded event, signed as Zendesk signs it, through the app's
endpoint; and every event it subscribes to is one something acts on (Zulip's webhook tests are the model).

A recorded user.deleted delivery (`recordings.py`, sent pretty-printed with sorted keys and a trailing newline,
as the recorded invocation was) and Zendesk's documented organization.created example
(`../shared/providers/zendesk.md` section 4).
"""

import base64
import hashlib
import hmac
import json

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from connections import registry
from connections.providers.zendesk.webhooks import RECEIVER
from syncs.models import InboundEvent
from tests.factories import ConnectionFactory
from tests.providers.zendesk.recordings import RECORDED_USER_EVENT

SECRET = "wMZJU7Dlw7pdGPBAs7fz3lVSjF5Hef8mqD7avv5n7zs="  # the shape of a recorded signing secret
ORGANIZATION_CREATED = {
    "type": "zen:event-type:organization.created",
    "account_id": 10973248,
    "subject": "zen:organization:6607619104125",
    "id": "a540ab78-0d8a-4a1c-9a77-0b2b8f3b6b11",
    "time": "2099-07-07T03:44:13Z",
    "zendesk_event_version": "2022-06-20",
    "detail": {
        "created_at": "2099-07-07T03:44:13Z",
        "id": "6607619104125",
        "name": "Acme",
        "shared_comments": False,
        "shared_tickets": False,
        "updated_at": "2099-07-07T03:44:13Z",
    },
    "event": {},
}

# Received and stored as ignored, on purpose: nothing needs them (Zendesk sends what a webhook subscribed to,
# and a person may add event types to it in Admin Center).
RECEIVED_AND_IGNORED = {"user.deleted": "no flow needs a user's deletion"}

# Subscribed and stored, but nothing acts on them yet.
DECLARED_BUT_UNHANDLED = {"user.created": "subscribed for matching new requesters to clients, which no flow does yet"}


@pytest.fixture
def connection(tenant_a):
    with scopes_disabled():
        return ConnectionFactory(
            tenant=tenant_a, provider="zendesk", addresses={"subdomain": "acme"}, webhook_secret=SECRET
        )


def deliver(client, connection, body: bytes):
    stamp = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    signed = base64.b64encode(hmac.new(SECRET.encode(), stamp.encode() + body, hashlib.sha256).digest()).decode()
    headers = {
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Signature": signed,
        "User-Agent": "Zendesk Webhook",
        "X-Zendesk-Account-Id": "18525119",
    }
    return client.post(
        f"/webhooks/zendesk/{connection.uuid}/",
        data=body,
        content_type="application/json; charset=utf-8",
        headers=headers,
    )


def as_delivered(payload: dict) -> bytes:
    return (json.dumps(payload, indent=3, sort_keys=True) + "\n").encode()


def test_the_documented_organization_created_is_stored_as_its_event(client, connection):
    response = deliver(client, connection, as_delivered(ORGANIZATION_CREATED))
    assert response.status_code == 200 and response.json()["stored"] == 1
    with scope(tenant=connection.tenant):
        event = InboundEvent.objects.get(connection=connection)
    assert (event.event_name, event.object_type, event.object_id) == (
        "organization.created",
        "organization",
        "6607619104125",
    )
    assert event.dedupe_key == ORGANIZATION_CREATED["id"]


def test_the_recorded_user_deleted_is_kept_as_ignored(client, connection):
    response = deliver(client, connection, as_delivered(RECORDED_USER_EVENT))
    assert response.status_code == 200 and response.json()["ignored"] == 1
    with scope(tenant=connection.tenant):
        event = InboundEvent.objects.get(connection=connection)
    assert (event.event_name, event.object_type, event.object_id) == ("user.deleted", "user", "6164069643162")
    assert event.status == InboundEvent.Status.IGNORED


def test_every_recorded_event_is_declared_or_ignored_on_purpose():
    recorded = {p["type"].removeprefix("zen:event-type:") for p in (ORGANIZATION_CREATED, RECORDED_USER_EVENT)}
    assert recorded - RECEIVER.HANDLED_EVENTS == set(RECEIVED_AND_IGNORED)


def test_every_declared_event_is_handled_by_a_flow_or_the_mirror():
    flows = registry.flows().values()
    acted_on = set().union(
        *(f.listens_to for f in flows if f.source_provider == "zendesk"),
        *(f.target_listens_to for f in flows if f.target_provider == "zendesk"),
        *(source.events | source.gone for source in registry.part("zendesk", "mirror").values()),
    )
    unhandled = RECEIVER.HANDLED_EVENTS - acted_on
    assert unhandled == set(DECLARED_BUT_UNHANDLED), unhandled
