"""Webhooks over HTTP, as a mixin of the emulator: the Webhooks API (no `.json` suffix, as recorded) and
turning the account's events into signed deliveries in the framework's outbox, each attempt signed at its
send time with the webhook's secret of that moment."""

from __future__ import annotations

from datetime import UTC, datetime

from connections.providers.zendesk.emulator.account import ZendeskAccount
from connections.providers.zendesk.emulator.account_webhooks import sign_delivery
from connections.providers.zendesk.emulator.api import api
from connections.providers.zendesk.emulator.records import iso, ulid
from connections.sandbox.base import Response


class WebhookRoutes:
    """Mixed into `ZendeskEmulator`: the Webhooks API and event deliveries."""

    def _send_events(self, account: ZendeskAccount) -> None:
        """Queues one signed delivery per (event, subscribed active webhook)."""
        for event in account.drain_events():
            payload = account.event_payload(event)
            body = account.delivery_body(payload)
            for webhook in account.subscribers(event.type):
                moment = self.clock.utcnow()
                headers = account.delivery_headers(webhook, body, moment=moment, invocation_id=ulid(moment))
                self.outbox.enqueue(
                    webhook.endpoint,
                    body,
                    headers,
                    event=event.type,
                    subscription=webhook.id,
                    sign=self._signer(account, webhook.id, webhook.signing_secret),
                    secret_headers=account.delivery_secret_headers(webhook),
                )

    def _signer(self, account: ZendeskAccount, webhook_id: str, secret_at_enqueue: str):
        """Signs each attempt at its send time with the webhook's current secret."""

        def sign(delivery, now: float) -> dict:
            webhook = account.webhooks.get(webhook_id)
            secret = webhook.signing_secret if webhook else secret_at_enqueue
            timestamp = iso(self.clock.utcnow() if now is None else _utc(now))
            return {
                "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
                "X-Zendesk-Webhook-Signature": sign_delivery(secret, timestamp, delivery.body),
            }

        return sign

    @api("GET", "/api/v2/webhooks", json_suffix=False)
    def list_webhooks(self, request, account, user):
        hooks = account.list_webhooks(
            name_contains=request.arg("filter[name_contains]"), status=request.arg("filter[status]")
        )
        return self._json({"meta": {"has_more": False}, "webhooks": [account.webhook_json(w) for w in hooks]})

    @api("POST", "/api/v2/webhooks", json_suffix=False, admin=True)
    def create_webhook(self, request, account, user):
        body = request.json()
        webhook = account.create_webhook(body.get("webhook") if isinstance(body, dict) else None, created_by=user)
        return self._json(
            {"webhook": account.webhook_json(webhook, fresh=True)},
            201,
            headers={"Location": account.url(f"webhooks/{webhook.id}")},
        )

    @api("GET", "/api/v2/webhooks/{webhook_id}", json_suffix=False)
    def show_webhook(self, request, account, user, webhook_id):
        return self._json({"webhook": account.webhook_json(account.webhook(webhook_id))})

    @api("DELETE", "/api/v2/webhooks/{webhook_id}", json_suffix=False, admin=True)
    def delete_webhook(self, request, account, user, webhook_id):
        account.delete_webhook(webhook_id)
        return Response.empty(204)

    @api("GET", "/api/v2/webhooks/{webhook_id}/signing_secret", json_suffix=False, admin=True)
    def show_signing_secret(self, request, account, user, webhook_id):
        webhook = account.webhook(webhook_id)
        return self._json({"signing_secret": {"secret": webhook.signing_secret, "algorithm": "SHA256"}})

    @api("POST", "/api/v2/webhooks/{webhook_id}/signing_secret", json_suffix=False, admin=True)
    def reset_signing_secret(self, request, account, user, webhook_id):
        webhook = account.reset_signing_secret(webhook_id)
        return self._json({"signing_secret": {"secret": webhook.signing_secret, "algorithm": "SHA256"}}, 201)


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
