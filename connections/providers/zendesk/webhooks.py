"""Zendesk event webhooks: one webhook per connection, its signing secret, signatures, parsing.

Zendesk signs `timestamp + raw body` with HMAC-SHA256 keyed by the webhook's signing secret used as a
literal string (not base64-decoded), sends the ISO-8601 timestamp in X-Zendesk-Webhook-Signature-Timestamp
and base64 of the digest in X-Zendesk-Webhook-Signature. Zendesk publishes no replay window; we refuse
timestamps more than WEBHOOK_MAX_SKEW_SECONDS (5 minutes) old or ahead. Every event carries a UUID `id`,
which is the dedupe key. Detail ids are strings; "none" is "0" or "".
"""

import base64
import hashlib
import hmac
import json
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from connections.providers import http
from syncs.webhooks import Malformed, ParsedEvent, Receiver, Rejected, webhook_url

SIGNATURE_HEADER = "X-Zendesk-Webhook-Signature"
TIMESTAMP_HEADER = "X-Zendesk-Webhook-Signature-Timestamp"
SUBSCRIPTIONS = (
    "zen:event-type:organization.created",
    "zen:event-type:organization.name_changed",
    "zen:event-type:organization.external_id_changed",
    "zen:event-type:organization.deleted",
    "zen:event-type:user.created",
    "zen:event-type:ticket.created",
)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def short_name(event_type: str) -> str:
    return event_type.removeprefix("zen:event-type:")


class ZendeskReceiver(Receiver):
    provider = "zendesk"
    HANDLED_EVENTS = frozenset(short_name(s) for s in SUBSCRIPTIONS)
    KEPT_HEADERS = (TIMESTAMP_HEADER, SIGNATURE_HEADER, "X-Zendesk-Webhook-Id", "X-Zendesk-Webhook-Invocation-Id")

    def verify(self, request, connection):
        given = request.headers.get(SIGNATURE_HEADER, "")
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not given or not stamp:
            raise Rejected("missing X-Zendesk-Webhook-Signature or its timestamp")
        if not connection.webhook_secret:
            raise Rejected("this connection has no webhook registered")
        if not hmac.compare_digest(signature(connection.webhook_secret, stamp, request.body), given):
            raise Rejected("signature does not match")
        try:
            sent = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise Rejected("unreadable signature timestamp") from None
        if sent.tzinfo is None or abs((timezone.now() - sent).total_seconds()) > settings.WEBHOOK_MAX_SKEW_SECONDS:
            raise Rejected("signature timestamp is more than 5 minutes old or ahead")

    def parse(self, request, connection):
        try:
            payload = json.loads(request.body)
        except ValueError:
            raise Malformed("not JSON") from None
        if not isinstance(payload, dict) or not payload.get("type") or not payload.get("id"):
            raise Malformed("an event needs a type and an id")
        subject = str(payload.get("subject") or "")  # zen:organization:123
        _, object_type, object_id = ([*subject.split(":"), "", "", ""])[:3]
        detail = payload.get("detail") if isinstance(payload.get("detail"), dict) else {}
        return [
            ParsedEvent(
                short_name(str(payload["type"])),
                str(payload["id"]),
                object_type=object_type,
                object_id=object_id or str(detail.get("id", "")),
            )
        ]


RECEIVER = ZendeskReceiver()


# Registration ------------------------------------------------------------------------------------------


def save_state(connection, webhook: dict | None) -> None:
    state = {}
    if webhook:
        state = {"webhook_id": webhook["id"], "status": webhook.get("status", ""), "endpoint": webhook.get("endpoint")}
    connection.settings = {**connection.settings, "webhooks": {**state, "checked_at": timezone.now().isoformat()}}
    connection.save(update_fields=["settings", "webhook_secret", "updated_at"])


def register(connection) -> dict:
    """One webhook per connection: reuse ours if Zendesk still has it, else create it; keep its secret."""
    endpoint = webhook_url(connection)
    existing = http.call(connection, "GET", "/api/v2/webhooks", params={"filter[name_contains]": "ml-connector"})
    webhook = next((w for w in (existing.data or {}).get("webhooks", []) if w.get("endpoint") == endpoint), None)
    if webhook is None:
        body = {
            "webhook": {
                "name": f"ml-connector ({connection.label})",
                "status": "active",
                "endpoint": endpoint,
                "http_method": "POST",
                "request_format": "json",
                "subscriptions": list(SUBSCRIPTIONS),
            }
        }
        webhook = http.call(connection, "POST", "/api/v2/webhooks", json_body=body).data["webhook"]
    secret = http.call(connection, "GET", f"/api/v2/webhooks/{webhook['id']}/signing_secret").data["signing_secret"]
    connection.webhook_secret = secret["secret"]
    save_state(connection, webhook)
    return connection.settings["webhooks"]


def refresh_state(connection) -> dict:
    webhook_id = (connection.settings.get("webhooks") or {}).get("webhook_id")
    if not webhook_id:
        return {}
    webhook = http.call(connection, "GET", f"/api/v2/webhooks/{webhook_id}").data["webhook"]
    save_state(connection, webhook)
    return connection.settings["webhooks"]


def unregister(connection) -> None:
    webhook_id = (connection.settings.get("webhooks") or {}).get("webhook_id")
    if webhook_id:
        http.call(connection, "DELETE", f"/api/v2/webhooks/{webhook_id}")
    connection.webhook_secret = None
    save_state(connection, None)
