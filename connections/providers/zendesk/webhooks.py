"""Zendesk event webhooks as they arrive: signatures and parsing (registering them is `subscriptions.py`'s).

Zendesk signs `timestamp + raw body` with HMAC-SHA256 keyed by the webhook's signing secret used as a
literal string (not base64-decoded), sends the ISO-8601 timestamp in X-Zendesk-Webhook-Signature-Timestamp
and base64 of the digest in X-Zendesk-Webhook-Signature. Zendesk publishes no replay window; we refuse
timestamps more than WEBHOOK_MAX_SKEW_SECONDS (5 minutes) old or ahead. Every event carries a UUID `id`,
which is the dedupe key. Detail ids are strings; "none" is "0" or "".
"""

import base64
import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from connections.providers.receivers import Malformed, ParsedEvent, Receiver, Rejected, json_body

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
        payload = json_body(request)
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
