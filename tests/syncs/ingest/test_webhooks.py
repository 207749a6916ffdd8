"""Webhooks in, through the emulators' own signed deliveries: verify, store once, acknowledge, register."""

import base64
import hashlib
import hmac
import json
import time
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from django_scopes import scope, scopes_disabled

from audit.models import AuditEvent
from connections.models import Connection
from syncs.models import InboundEvent
from tests.factories import ConnectionFactory, MembershipFactory
from tests.helpers.sandboxes import freshbooks_connection

ACCOUNT = "SbX4kq"


@pytest.fixture(autouse=True)
def window_start(monkeypatch):
    """Refusals are counted in clock minutes: each test starts one, so none straddles two."""
    from connections import throttles

    offset = (time.time() // 60 + 1) * 60 - time.time()
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: time.time() + offset))


def events(connection):
    with scopes_disabled():
        return list(InboundEvent.objects.filter(connection=connection).order_by("id"))


def rejections(connection):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(connection=connection, kind="webhook.rejected"))


def fb_sign(verifier, pairs):
    """FreshBooks' rule, written independently: json.dumps of the form fields in body order."""
    message = json.dumps({k: str(v) for k, v in pairs}).encode()
    return base64.b64encode(hmac.new(verifier.encode(), message, hashlib.sha256).digest()).decode()


@pytest.fixture
def fb(sandbox, tenant_a, client, django_capture_on_commit_callbacks):
    """A FreshBooks connection whose webhooks are registered and verified through the real handshake."""
    connection = freshbooks_connection(sandbox, tenant_a)
    sandbox.send_webhooks_to(client)
    with scope(tenant=tenant_a), django_capture_on_commit_callbacks(execute=True):
        from connections.providers.freshbooks import subscriptions as webhooks

        webhooks.register(connection)
        sandbox.deliver()
    connection.refresh_from_db()
    return connection


def captured_delivery(sandbox, event="invoice.create"):
    """The last delivery the emulator made for `event`: url, body and headers, to replay by hand."""
    entry = [e for e in sandbox["freshbooks"].journal.entries(kind="delivery") if f"name={event}" in e.body][-1]
    return entry


def test_the_freshbooks_handshake_completes_end_to_end(fb, sandbox):
    emulator = sandbox["freshbooks"]
    remote = emulator.account(ACCOUNT)["callback"]
    assert {cb["event"] for cb in remote.values()} == {"client", "invoice", "payment", "expense"}
    assert all(cb["verified"] for cb in remote.values()), "our verify PUT turned every callback on"
    state = fb.settings["webhooks"]["callbacks"]
    assert all(cb["verified"] for cb in state.values())
    stored = json.loads(fb.webhook_secret)
    assert {stored[str(cid)] for cid in remote} == {cb["verifier"] for cb in remote.values()}


def test_a_signed_delivery_is_stored_once_and_acknowledged(fb, sandbox, tenant_a, django_capture_on_commit_callbacks):
    emulator = sandbox["freshbooks"]
    with django_capture_on_commit_callbacks(execute=True):
        client = emulator.create(ACCOUNT, "client", {"organization": "Acme Corp"})
        invoice = emulator.create(ACCOUNT, "invoice", {"customerid": client["id"], "lines": []})
        sandbox.deliver()
    entry = captured_delivery(sandbox)
    assert entry.status == 200
    [event] = [e for e in events(fb) if e.event_name == "invoice.create"]
    assert event.object_id == str(invoice["id"]) and event.object_type == "invoice"
    assert event.status == "processed"
    assert "X-FreshBooks-Hmac-SHA256" in event.headers


def test_the_same_delivery_three_times_is_stored_once(fb, sandbox, client):
    sandbox["freshbooks"].create(ACCOUNT, "client", {"organization": "Acme Corp"})
    sandbox.deliver()
    entry = captured_delivery(sandbox, "client.create")
    for _ in range(2):
        response = client.post(
            entry.url.replace("http://127.0.0.1:8000", ""),
            data=entry.body,
            content_type="application/x-www-form-urlencoded",
            headers={"X-FreshBooks-Hmac-SHA256": entry.headers["X-FreshBooks-Hmac-SHA256"]},
        )
        assert response.status_code == 200
        assert response.json()["duplicates"] == 1
    [event] = [e for e in events(fb) if e.event_name == "client.create"]
    assert event.duplicates == 2


def post_fb(client, connection, pairs, verifier=None, signature=None, **extra):
    body = urlencode(pairs)
    headers = {}
    if signature is not None or verifier is not None:
        headers["X-FreshBooks-Hmac-SHA256"] = signature or fb_sign(verifier, pairs)
    return client.post(
        f"/webhooks/freshbooks/{connection.uuid}/",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers=headers,
        **extra,
    )


def invoice_pairs(order="docs"):
    pairs = [
        ("name", "invoice.update"),
        ("object_id", "77"),
        ("account_id", ACCOUNT),
        ("business_id", "5100001"),
        ("identity_id", "3300101"),
        ("user_id", "1"),
    ]
    return pairs if order == "docs" else list(reversed(pairs))


def invoice_verifier(connection):
    callbacks = connection.settings["webhooks"]["callbacks"]
    cid = next(cid for cid, cb in callbacks.items() if cb["event"] == "invoice")
    return json.loads(connection.webhook_secret)[cid]


def test_fields_in_another_order_still_verify_because_the_rule_keeps_body_order(fb, client):
    response = post_fb(client, fb, invoice_pairs("reversed"), verifier=invoice_verifier(fb))
    assert response.status_code == 200
    assert [e.event_name for e in events(fb)][-1] == "invoice.update"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("one byte changed", "signature does not match"),
        ("wrong secret", "signature does not match"),
        ("no signature", "missing"),
    ],
)
def test_forged_freshbooks_deliveries_are_rejected_audited_and_not_stored(fb, client, case, reason):
    pairs, before = invoice_pairs(), len(events(fb))
    verifier = invoice_verifier(fb)
    if case == "one byte changed":
        good = fb_sign(verifier, pairs)
        pairs = [(k, "78" if k == "object_id" else v) for k, v in pairs]
        response = post_fb(client, fb, pairs, signature=good)
    elif case == "wrong secret":
        response = post_fb(client, fb, pairs, verifier="not-the-verifier")
    else:
        response = post_fb(client, fb, pairs)
    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert len(events(fb)) == before
    [audit_event] = rejections(fb)
    assert audit_event.data["remote_address"] == "127.0.0.1"
    assert audit_event.data["body_sha256"] and audit_event.data["body_size"] > 0
    assert verifier not in json.dumps(audit_event.data)


def test_a_delivery_signed_for_another_connection_is_rejected(fb, sandbox, tenant_b, client):
    other = freshbooks_connection(sandbox, tenant_b)
    response = post_fb(client, other, invoice_pairs(), verifier=invoice_verifier(fb))
    assert response.status_code == 401
    assert events(other) == []


def test_an_unknown_event_name_is_kept_as_ignored_and_acknowledged(fb, client):
    pairs = [("name", "estimate.create"), ("object_id", "5"), ("account_id", ACCOUNT)]
    cid = next(iter(fb.settings["webhooks"]["callbacks"]))
    response = post_fb(client, fb, pairs, verifier=json.loads(fb.webhook_secret)[cid])
    assert response.status_code == 200
    assert events(fb)[-1].status == "ignored"


def test_oversized_and_malformed_bodies_are_refused(fb, client, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    response = post_fb(client, fb, [*invoice_pairs(), ("padding", "x" * 200)], verifier=invoice_verifier(fb))
    assert response.status_code == 413
    settings.WEBHOOK_MAX_BODY_BYTES = 1024 * 1024
    pairs = [("name", "invoice.update"), ("account_id", ACCOUNT)]  # no object_id
    assert post_fb(client, fb, pairs, verifier=invoice_verifier(fb)).status_code == 400
    assert sorted(a.data["status"] for a in rejections(fb)) == [400, 413]


def test_an_unknown_connection_is_404_and_a_get_is_405(db, client):
    assert (
        client.post(
            "/webhooks/freshbooks/00000000-0000-0000-0000-000000000000/",
            data="a=b",
            content_type="application/x-www-form-urlencoded",
        ).status_code
        == 404
    )
    assert client.post("/webhooks/nope/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/webhooks/freshbooks/00000000-0000-0000-0000-000000000000/").status_code == 405


def test_junk_is_slowed_down_but_a_signed_delivery_from_the_same_address_is_accepted(fb, client, settings):
    settings.WEBHOOK_REJECTIONS_PER_MINUTE = 3
    for _ in range(3):
        assert post_fb(client, fb, invoice_pairs()).status_code == 401
    throttled = post_fb(client, fb, invoice_pairs())
    assert throttled.status_code == 429 and throttled["Retry-After"] == "60"
    assert len(rejections(fb)) == 3, "past the limit junk is not written to the audit trail"
    assert post_fb(client, fb, invoice_pairs(), verifier=invoice_verifier(fb)).status_code == 200


def test_random_connection_ids_from_behind_the_proxy_do_not_block_any_tenant(fb, client, settings):
    """Every provider reaches us through the one proxy address: junk 404s must not lock them out."""
    settings.WEBHOOK_REJECTIONS_PER_MINUTE = 3
    for n in range(5):
        client.post(
            f"/webhooks/freshbooks/00000000-0000-0000-0000-00000000000{n}/", data="x", content_type="text/plain"
        )
    assert client.post("/webhooks/freshbooks/00000000-0000-0000-0000-000000000009/").status_code == 429
    assert post_fb(client, fb, invoice_pairs(), verifier=invoice_verifier(fb)).status_code == 200


def test_refusals_are_counted_per_connection_whatever_the_address(fb, client, settings):
    settings.WEBHOOK_REJECTIONS_PER_MINUTE = 3
    for n in range(3):
        assert post_fb(client, fb, invoice_pairs(), REMOTE_ADDR=f"198.51.100.{n}").status_code == 401
    assert post_fb(client, fb, invoice_pairs(), REMOTE_ADDR="198.51.100.99").status_code == 429


def test_behind_a_trusted_proxy_each_sender_is_counted_by_its_own_address(fb, client, settings):
    settings.WEBHOOK_REJECTIONS_PER_MINUTE = 3
    settings.TRUSTED_PROXY_HOPS = 1
    for _ in range(3):
        post_fb(client, fb, invoice_pairs(), HTTP_X_FORWARDED_FOR="203.0.113.7")
    [first, *_] = rejections(fb)
    assert first.data["remote_address"] == "203.0.113.7"
    with scopes_disabled():
        other = freshbooks_connection_for_throttle(fb)
    assert post_fb(client, other, invoice_pairs(), HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 401


def freshbooks_connection_for_throttle(fb):
    """A second connection of the same workspace, so only the address counter is shared."""
    return ConnectionFactory(tenant=fb.tenant, provider="freshbooks", label="Second books")


def test_a_forwarded_header_is_not_believed_without_a_trusted_proxy(fb, client, settings):
    settings.WEBHOOK_REJECTIONS_PER_MINUTE = 3
    for n in range(3):
        post_fb(client, fb, invoice_pairs(), HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert {r.data["remote_address"] for r in rejections(fb)} == {"127.0.0.1"}


def test_a_verification_for_a_callback_we_did_not_register_is_rejected(fb, client):
    pairs = [("name", "callback.verify"), ("verifier", "attacker"), ("object_id", "999999"), ("account_id", ACCOUNT)]
    assert post_fb(client, fb, pairs, verifier="attacker").status_code == 401
    assert "999999" not in json.loads(fb.webhook_secret)


# Zendesk ---------------------------------------------------------------------------------------------------


@pytest.fixture
def zd(sandbox, tenant_a, client):
    """A Zendesk connection with its webhook registered; the sandbox clock set to now (signatures carry it)."""
    sandbox.clock.advance(time.time() - sandbox.clock.now())
    emulator = sandbox["zendesk"]
    from connections.sandbox.oauth import Grant

    issued = emulator.oauth.issue_tokens(
        Grant(
            "sandbox-zendesk-client", "read write", {"subdomain": "acme", "user_id": emulator.account("acme").admin.id}
        )
    )
    with scopes_disabled():
        connection = ConnectionFactory(
            tenant=tenant_a,
            provider="zendesk",
            addresses={"subdomain": "acme"},
            access_token=issued.access.value,
            refresh_token=issued.refresh.value,
        )
    sandbox.send_webhooks_to(client)
    with scope(tenant=tenant_a):
        from connections.providers.zendesk import subscriptions as webhooks

        webhooks.register(connection)
    connection.refresh_from_db()
    return connection


def test_zendesk_webhook_creation_stores_its_signing_secret(zd, sandbox):
    account = sandbox["zendesk"].account("acme")
    [webhook] = account.webhooks.values()
    assert webhook.endpoint == f"http://127.0.0.1:8000/webhooks/zendesk/{zd.uuid}/"
    assert zd.webhook_secret == webhook.signing_secret
    assert zd.settings["webhooks"]["webhook_id"] == webhook.id


def test_a_zendesk_organization_event_is_stored_once_by_its_event_id(zd, sandbox, client):
    emulator = sandbox["zendesk"]
    emulator.account("acme").create_organization({"name": "Acme Corporation"})
    emulator._send_events(emulator.account("acme"))
    sandbox.deliver()
    [event] = events(zd)
    assert event.event_name == "organization.created" and event.object_type == "organization"
    delivery = [e for e in sandbox["zendesk"].journal.entries(kind="delivery")][-1]
    assert delivery.status == 200
    # Zendesk redelivers the same event (same id) with a fresh timestamp and signature.
    response = zd_post(client, zd, delivery.body.encode(), iso(), zd.webhook_secret)
    assert response.status_code == 200, response.content
    assert response.json()["duplicates"] == 1
    assert len(events(zd)) == 1


def zd_post(client, connection, body: bytes, stamp: str, secret: str | None):
    headers = {"X-Zendesk-Webhook-Signature-Timestamp": stamp}
    if secret is not None:
        digest = hmac.new(secret.encode(), stamp.encode() + body, hashlib.sha256).digest()
        headers["X-Zendesk-Webhook-Signature"] = base64.b64encode(digest).decode()
    return client.post(
        f"/webhooks/zendesk/{connection.uuid}/", data=body, content_type="application/json", headers=headers
    )


def iso(seconds_from_now=0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_from_now))


ORG_EVENT = json.dumps(
    {
        "type": "zen:event-type:organization.created",
        "id": "5b0c1c5e-1111-4f7a-9d1e-000000000001",
        "subject": "zen:organization:42",
        "detail": {"id": "42", "name": "Acme"},
    }
).encode()


@pytest.mark.parametrize("skew", [-310, 310])  # whole seconds on the wire: 301 could arrive as 300.x
def test_a_stale_or_future_zendesk_timestamp_is_rejected(zd, client, skew):
    response = zd_post(client, zd, ORG_EVENT, iso(skew), zd.webhook_secret)
    assert response.status_code == 401 and "5 minutes" in response.json()["error"]
    assert events(zd) == [] and len(rejections(zd)) == 1


def test_zendesk_signature_checks(zd, client):
    assert zd_post(client, zd, ORG_EVENT, iso(), "wrong").status_code == 401
    assert zd_post(client, zd, ORG_EVENT, iso(), None).status_code == 401
    assert zd_post(client, zd, ORG_EVENT[:-1] + b" }", iso(), None).status_code == 401
    assert zd_post(client, zd, b"not json", iso(), zd.webhook_secret).status_code == 400
    assert zd_post(client, zd, ORG_EVENT, iso(), zd.webhook_secret).status_code == 200
    assert len(events(zd)) == 1


# Registration pages, the app-level endpoint ----------------------------------------------------------------


def test_registering_webhooks_from_the_connection_page(sandbox, tenant_a, owner_a, client):
    connection = freshbooks_connection(sandbox, tenant_a)
    client.force_login(owner_a)
    page = client.post(f"/connections/{connection.uuid}/webhooks/", follow=True).content.decode()
    assert "in the background" in page
    assert f"/webhooks/freshbooks/{connection.uuid}/" in page
    assert "waiting for verification" in page, "the task (run at once in tests) registered them"
    with scopes_disabled():
        assert AuditEvent.objects.get(kind="webhook.registered", connection=connection).actor == owner_a


def test_the_registration_request_waits_on_no_provider_call(sandbox, tenant_a, owner_a, client, monkeypatch):
    from connections.credentials import views

    queued = []
    monkeypatch.setattr(views, "queue_task", lambda *args: queued.append(args) or True)
    connection = freshbooks_connection(sandbox, tenant_a)
    client.force_login(owner_a)
    before = len(sandbox["freshbooks"].journal.entries(kind="request"))
    client.post(f"/connections/{connection.uuid}/webhooks/")
    assert len(sandbox["freshbooks"].journal.entries(kind="request")) == before
    assert queued == [("syncs.tasks.register_webhooks", connection.pk, owner_a.pk)]


def test_registering_webhooks_needs_an_admin_and_the_tenants_own_connection(sandbox, tenant_a, client, connection_b):
    with scopes_disabled():
        agent = MembershipFactory(tenant=tenant_a, role="agent").user
    connection = freshbooks_connection(sandbox, tenant_a)
    client.force_login(agent)
    assert client.post(f"/connections/{connection.uuid}/webhooks/").status_code == 403
    owner = MembershipFactory(tenant=tenant_a, role="owner").user
    client.force_login(owner)
    assert client.post(f"/connections/{connection_b.uuid}/webhooks/").status_code == 404


def test_disconnecting_deletes_our_callbacks(fb, sandbox, owner_a, client):
    client.force_login(owner_a)
    client.post(f"/connections/{fb.uuid}/disconnect/")
    assert sandbox["freshbooks"].account(ACCOUNT)["callback"] == {}


def test_callbacks_the_provider_would_not_delete_are_said_and_audited(fb, sandbox, owner_a, client):
    client.force_login(owner_a)
    sandbox["freshbooks"].faults.update({"error_rate": 1, "error_status": 503}, sandbox.clock.now())
    page = client.post(f"/connections/{fb.uuid}/disconnect/", follow=True).content.decode()
    sandbox["freshbooks"].faults.update({"error_rate": 0}, sandbox.clock.now())
    assert "did not remove our webhooks" in page
    assert sandbox["freshbooks"].account(ACCOUNT)["callback"], "still registered at FreshBooks"
    with scopes_disabled():
        event = AuditEvent.objects.get(kind="connection.disconnected", connection=fb)
    assert event.level == "warning" and "did not remove our webhooks" in event.message


def test_the_app_level_endpoint_routes_each_event_to_its_connection(tenant_a, client, monkeypatch):
    from syncs.ingest import webhooks
    from syncs.ingest.webhooks import ParsedEvent, Receiver, Rejected

    with scopes_disabled():
        connection = ConnectionFactory(tenant=tenant_a, provider="testsource", addresses={"account_id": "realm-9"})

    class AppSigned(Receiver):
        HANDLED_EVENTS = frozenset({"customer.update"})

        def verify_app(self, request):
            if request.headers.get("X-App-Token") != "app-secret":
                raise Rejected("bad app signature")

        def parse(self, request, connection):
            return [
                ParsedEvent("customer.update", f"k{n}", "customer", str(n), {"realm": r})
                for n, r in enumerate(json.loads(request.body))
            ]

        def connection_lookup(self, event):
            return {"provider": "testsource", "addresses__account_id": event.extra["realm"]}

    monkeypatch.setattr(webhooks, "receiver_for", lambda provider: AppSigned())
    body = json.dumps(["realm-9", "unknown-realm"])
    assert client.post("/webhooks/testsource/", data=body, content_type="application/json").status_code == 401
    response = client.post(
        "/webhooks/testsource/", data=body, content_type="application/json", headers={"X-App-Token": "app-secret"}
    )
    assert response.json() == {"ok": True, "stored": 1, "duplicates": 0, "ignored": 0, "unrouted": 1}
    assert [e.object_id for e in events(connection)] == ["0"]


def test_the_connection_page_shows_deliveries_and_counts(fb, sandbox, owner_a, client):
    sandbox["freshbooks"].create(ACCOUNT, "client", {"organization": "Acme Corp"})
    sandbox.deliver()
    client.force_login(owner_a)
    post_fb(client, fb, invoice_pairs())  # rejected: no signature
    page = client.get(f"/connections/{fb.uuid}/").content.decode()
    assert "client.create" in page and "Rejected" in page
    assert "1 accepted" in page and "1 rejected" in page


def test_webhook_state_never_leaks_the_verifier(fb, owner_a, client):
    client.force_login(owner_a)
    page = client.get(f"/connections/{fb.uuid}/").content.decode()
    for verifier in json.loads(fb.webhook_secret).values():
        assert verifier not in page


def test_stored_connection_secret_is_encrypted(fb):
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute("SELECT webhook_secret FROM connections_connection WHERE id = %s", [fb.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("gAAAAA")
    with scopes_disabled():
        assert Connection.objects.get(pk=fb.pk).webhook_secret == fb.webhook_secret


def test_verifications_arriving_together_keep_every_verifier(sandbox, tenant_a, django_capture_on_commit_callbacks):
    """Each request loaded the connection before the others saved: the verifier map is re-read under a lock."""
    from types import SimpleNamespace

    from connections.providers.freshbooks.webhooks import RECEIVER
    from syncs.ingest.webhooks import ParsedEvent

    connection = freshbooks_connection(sandbox, tenant_a)
    with scopes_disabled():
        connection.settings = {"webhooks": {"callbacks": {"1": {"event": "invoice"}, "2": {"event": "client"}}}}
        connection.save()
        first, second = (Connection.objects.get(pk=connection.pk) for _ in range(2))
    with scope(tenant=tenant_a), django_capture_on_commit_callbacks(execute=False):
        for copy, cid in ((first, "1"), (second, "2")):
            event = ParsedEvent("callback.verify", cid, object_id=cid, extra={"verifier": f"v{cid}"})
            RECEIVER.before_store(SimpleNamespace(), copy, [event])
    connection.refresh_from_db()
    assert json.loads(connection.webhook_secret) == {"1": "v1", "2": "v2"}


def test_enabling_an_integration_registers_both_connections_webhooks(sandbox, tenant_a, client, owner_a):
    from syncs import tasks

    connection = freshbooks_connection(sandbox, tenant_a)
    state = tasks.register_webhooks(connection.pk)
    assert {cb["event"] for cb in state.values()} == {"client", "invoice", "payment", "expense"}
    with scopes_disabled():
        assert AuditEvent.objects.filter(kind="webhook.registered", connection=connection).exists()
    assert tasks.register_webhooks(10**9) == {}


def test_a_failed_registration_is_audited_with_what_to_do(sandbox, tenant_a):
    from syncs import tasks

    connection = freshbooks_connection(sandbox, tenant_a)
    sandbox["freshbooks"].oauth.revoke()
    assert tasks.register_webhooks(connection.pk) == {}
    with scopes_disabled():
        event = AuditEvent.objects.get(kind="webhook.registration_failed")
    assert "Check and repair" in event.message


def test_a_disabled_connection_refuses_even_a_correctly_signed_delivery(
    fb, sandbox, django_capture_on_commit_callbacks
):
    emulator = sandbox["freshbooks"]
    with django_capture_on_commit_callbacks(execute=True):
        emulator.create(ACCOUNT, "client", {"organization": "Before"})
        sandbox.deliver()
    before = len(events(fb))
    with scopes_disabled():
        Connection.objects.filter(pk=fb.pk).update(status=Connection.Status.DISABLED)  # secrets still held
    with django_capture_on_commit_callbacks(execute=True):
        emulator.create(ACCOUNT, "client", {"organization": "After"})
        sandbox.deliver()
    entry = captured_delivery(sandbox, "client.create")
    assert entry.status == 410
    assert len(events(fb)) == before, "nothing stored"
    [refused] = rejections(fb)
    assert "disabled or disconnected" in refused.message


# Bad input: a clear 4xx and an audit event, never a 500 ----------------------------------------------------


def test_a_signed_body_nested_too_deeply_is_refused_as_malformed(zd, client):
    body = b"[" * 100_000 + b"]" * 100_000
    response = zd_post(client, zd, body, iso(), zd.webhook_secret)
    assert response.status_code == 400 and "nested too deeply" in response.json()["error"]
    [rejected] = rejections(zd)
    assert rejected.data["status"] == 400 and events(zd) == []


def test_a_content_length_that_is_not_a_number_is_refused_and_recorded(zd, client):
    response = client.post(
        f"/webhooks/zendesk/{zd.uuid}/", data=ORG_EVENT, content_type="application/json", CONTENT_LENGTH="abc"
    )
    assert response.status_code == 400 and "Content-Length" in response.json()["error"]
    [rejected] = rejections(zd)
    assert rejected.data["body_size"] == 0 and events(zd) == []


# An answer of 200 means stored ------------------------------------------------------------------------------


def test_a_queue_that_fails_inside_the_events_transaction_loses_nothing(zd, client, settings, monkeypatch):
    """With the ORM broker the task row is written in the event's own transaction: a failed insert there used
    to roll the event back silently while the delivery was still answered 200."""
    from django.utils import timezone
    from django_q import tasks
    from django_q.models import OrmQ

    settings.Q_BROKER = "orm"

    def failing_insert(*args, **kwargs):
        OrmQ.objects.create(key=None, payload="", lock=timezone.now())  # NOT NULL: fails inside save()

    monkeypatch.setattr(tasks, "async_task", failing_insert)
    response = zd_post(client, zd, ORG_EVENT, iso(), zd.webhook_secret)
    assert response.status_code == 200 and response.json()["stored"] == 1
    [event] = events(zd)
    assert event.status == "received", "kept for the sweeper, which queues what was not queued"
