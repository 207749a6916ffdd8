"""The account's webhooks (Zendesk's Webhooks API: validation, the public shape, secrets never echoed) and
what turns its events into deliveries: the payload, the body bytes, the signed headers in the recorded
order. The HTTP layer only queues what this builds."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid
from datetime import datetime

from connections.providers.zendesk.emulator.errors import api_errors
from connections.providers.zendesk.emulator.records import (
    PendingEvent,
    User,
    Webhook,
    casefold,
    iso,
    iso_nanos,
    ulid,
)

ORGANIZATION_EVENTS = (
    "zen:event-type:organization.created",
    "zen:event-type:organization.custom_field_changed",
    "zen:event-type:organization.deleted",
    "zen:event-type:organization.external_id_changed",
    "zen:event-type:organization.name_changed",
    "zen:event-type:organization.tags_changed",
)
USER_EVENTS = tuple(
    f"zen:event-type:user.{name}"
    for name in (
        "created",
        "deleted",
        "active_changed",
        "alias_changed",
        "custom_field_changed",
        "custom_role_changed",
        "default_group_changed",
        "details_changed",
        "external_id_changed",
        "group_membership_created",
        "group_membership_deleted",
        "identity_changed",
        "identity_created",
        "identity_deleted",
        "last_login_changed",
        "merged",
        "name_changed",
        "notes_changed",
        "only_private_comments_changed",
        "organization_membership_created",
        "organization_membership_deleted",
        "password_changed",
        "photo_changed",
        "role_changed",
        "suspended_changed",
        "tags_changed",
        "time_zone_changed",
    )
)
TICKET_EVENTS = tuple(
    f"zen:event-type:ticket.{name}"
    for name in (
        "created",
        "status_changed",
        "comment_added",
        "priority_changed",
        "tags_changed",
        "organization_changed",
        "external_id_changed",
        "subject_changed",
    )
)
KNOWN_EVENTS = frozenset(ORGANIZATION_EVENTS + USER_EVENTS + TICKET_EVENTS)
CONDITIONAL = "conditional_ticket_events"


def sign_delivery(secret: str, timestamp: str, body: bytes) -> str:
    """Zendesk's webhook signature: base64(HMAC-SHA256(key=secret as-is, msg=timestamp + raw body)).

    The key is the secret string itself (it looks like base64 but is not decoded); the timestamp is the
    exact ISO-8601 header value; there is no separator.
    """
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def new_signing_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


class AccountWebhooks:
    """Mixed into `ZendeskAccount`: its webhooks and the deliveries of its events."""

    def webhook(self, webhook_id: str) -> Webhook:
        try:
            return self.webhooks[webhook_id]
        except KeyError:
            raise api_errors(404, "WebhookNotFound", "Webhook not found") from None

    def create_webhook(self, data: dict, *, created_by: User) -> Webhook:
        if not isinstance(data, dict):
            raise api_errors(400, "InvalidInput", "webhook is required")
        for key in ("name", "endpoint", "http_method", "request_format", "status"):
            if not data.get(key):
                raise api_errors(400, "InvalidInput", f"{key} is required")
        if not re.match(r"^https?://", str(data["endpoint"])):
            raise api_errors(400, "InvalidInput", "endpoint must be an absolute http(s) URL")
        if data["status"] not in ("active", "inactive"):
            raise api_errors(400, "InvalidInput", "status must be active or inactive")
        subscriptions = list(data.get("subscriptions") or [])
        if CONDITIONAL in subscriptions and len(subscriptions) > 1:
            raise api_errors(400, "InvalidSubscriptions", "conditional_ticket_events cannot be mixed with event types")
        unknown = [s for s in subscriptions if s != CONDITIONAL and s not in KNOWN_EVENTS]
        if unknown:
            raise api_errors(400, "InvalidSubscriptions", f"Unknown event type {unknown[0]}")
        if (
            subscriptions
            and CONDITIONAL not in subscriptions
            and (data["http_method"] != "POST" or data["request_format"] != "json")
        ):
            raise api_errors(400, "InvalidInput", "Event-subscribed webhooks must use POST and json")
        authentication = data.get("authentication")
        if authentication is not None and authentication.get("type") not in ("basic_auth", "bearer_token", "api_key"):
            raise api_errors(400, "InvalidInput", "authentication type is invalid")
        now = self.now()
        webhook = Webhook(
            id=ulid(now),
            name=str(data["name"]),
            endpoint=str(data["endpoint"]),
            http_method=str(data["http_method"]),
            request_format=str(data["request_format"]),
            status=str(data["status"]),
            subscriptions=subscriptions,
            created_at=now,
            created_by=str(created_by.id),
            signing_secret=new_signing_secret(),
            description=data.get("description"),
            authentication=authentication,
            custom_headers=dict(data.get("custom_headers") or {}),
        )
        self.webhooks[webhook.id] = webhook
        return webhook

    def delete_webhook(self, webhook_id: str) -> None:
        self.webhooks.pop(self.webhook(webhook_id).id)

    def reset_signing_secret(self, webhook_id: str) -> Webhook:
        webhook = self.webhook(webhook_id)
        webhook.signing_secret = new_signing_secret()
        return webhook

    @staticmethod
    def webhook_json(webhook: Webhook, *, fresh: bool = False) -> dict:
        """Secrets inside `authentication.data` (password, token, value) are never echoed back."""
        body = {
            "id": webhook.id,
            "name": webhook.name,
            "status": webhook.status,
            "subscriptions": list(webhook.subscriptions),
            "created_at": iso_nanos(webhook.created_at) if fresh else iso(webhook.created_at),
            "created_by": webhook.created_by,
            "endpoint": webhook.endpoint,
            "http_method": webhook.http_method,
            "request_format": webhook.request_format,
        }
        if webhook.description is not None:
            body["description"] = webhook.description
        if webhook.authentication:
            data = webhook.authentication.get("data") or {}
            shown = {k: v for k, v in data.items() if k in ("username", "name")}
            body["authentication"] = {
                "type": webhook.authentication.get("type"),
                "data": shown,
                "add_position": webhook.authentication.get("add_position", "header"),
            }
        if webhook.custom_headers:
            body["custom_headers"] = dict(webhook.custom_headers)
        return body

    def list_webhooks(self, *, name_contains: str | None = None, status: str | None = None) -> list[Webhook]:
        hooks = sorted(self.webhooks.values(), key=lambda w: w.id)
        if name_contains:
            hooks = [w for w in hooks if casefold(name_contains) in casefold(w.name)]
        if status:
            hooks = [w for w in hooks if w.status == status]
        return hooks

    def subscribers(self, event_type: str) -> list[Webhook]:
        return [w for w in self.webhooks.values() if w.status == "active" and event_type in w.subscriptions]

    def event_payload(self, event: PendingEvent) -> dict:
        return {
            "account_id": self.account_id,
            "detail": event.detail,
            "event": event.event,
            "id": str(uuid.uuid4()),
            "subject": event.subject,
            "time": iso(event.time),
            "type": event.type,
            "zendesk_event_version": self.config["zendesk_event_version"],
        }

    def delivery_body(self, payload: dict) -> bytes:
        if self.config["delivery_body_style"] == "pretty":
            return (json.dumps(payload, indent=3, sort_keys=True, ensure_ascii=False) + "\n").encode()
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()

    def delivery_headers(self, webhook: Webhook, body: bytes, *, moment: datetime, invocation_id: str) -> dict:
        """Headers in the order of the recorded delivery, signed over the exact timestamp string."""
        timestamp = iso(moment)
        headers = {
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
            "X-Zendesk-Webhook-Signature": sign_delivery(webhook.signing_secret, timestamp, body),
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Zendesk Webhook",
            "X-Zendesk-Account-Id": str(self.account_id),
            "X-Zendesk-Webhook-Id": webhook.id,
            "X-Zendesk-Webhook-Invocation-Id": invocation_id,
        }
        auth = webhook.authentication or {}
        data = auth.get("data") or {}
        if auth.get("type") == "basic_auth":
            pair = f"{data.get('username', '')}:{data.get('password', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        elif auth.get("type") == "bearer_token":
            headers["Authorization"] = f"Bearer {data.get('token', '')}"
        elif auth.get("type") == "api_key" and data.get("name"):
            headers[str(data["name"])] = str(data.get("value", ""))
        headers.update({str(k): str(v) for k, v in webhook.custom_headers.items()})
        return headers

    @staticmethod
    def delivery_secret_headers(webhook: Webhook) -> tuple[str, ...]:
        """The header an `api_key` webhook sends its key in: named by the customer, masked in the journal."""
        auth = webhook.authentication or {}
        name = (auth.get("data") or {}).get("name")
        return (str(name),) if auth.get("type") == "api_key" and name else ()
