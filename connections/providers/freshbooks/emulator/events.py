"""The events service: callbacks (register, verify, resend, list, get, delete) with the verification
handshake, and form-encoded deliveries signed the FreshBooks way (`sign`, which the tests check against an
independent implementation of the rule).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from urllib.parse import urlencode, urlsplit

from connections.sandbox import HttpError, Response, route

PARENT_EVENTS = (
    "bill",
    "bill_vendor",
    "category",
    "client",
    "credit_note",
    "estimate",
    "expense",
    "invoice",
    "item",
    "payment",
    "project",
    "recurring",
    "service",
    "tax",
    "time_entry",
)
EVENTS = frozenset(
    [*PARENT_EVENTS]
    + [f"{parent}.{action}" for parent in PARENT_EVENTS for action in ("create", "update", "delete")]
    + ["invoice.sendByEmail", "estimate.sendByEmail"]
)
# Field orders seen in the wild for deliveries: the docs, and Pipedream's (real-looking) test event.
DELIVERY_FIELD_ORDERS = {
    "docs": ("name", "object_id", "account_id", "business_id", "identity_id", "user_id"),
    "pipedream": ("name", "object_id", "user_id", "identity_id", "business_id", "account_id"),
}


def sign(verifier: str, pairs: list[tuple[str, str]]) -> str:
    """FreshBooks' rule: base64 HMAC-SHA256, keyed by the verifier, over Python's default `json.dumps` of the
    form fields (values as strings, in body order), not over the raw body."""
    message = json.dumps({key: str(value) for key, value in pairs})
    digest = hmac.new(verifier.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class EventsRoutes:
    """`/events/account/{account_id}/events/callbacks[/{id}]`, and `emit` for every record change."""

    def callback_json(self, callback) -> dict:
        return {k: callback[k] for k in ("callbackid", "event", "uri", "verified", "updated_at")}

    def find_callback(self, account_id, callback_id) -> dict:
        callback = self.account(account_id)["callback"].get(callback_id)
        if callback is None:
            raise HttpError(self.events_error(404, "Requested resource could not be found."))
        return callback

    def events_account(self, request, account_id) -> None:
        self.require_token(request, "events")
        if account_id not in self.state["accounts"]:
            raise HttpError(self.events_error(404, "Requested resource could not be found."))

    @route("POST", "/events/account/{account_id}/events/callbacks")
    def register_callback(self, request, account_id):
        self.events_account(request, account_id)
        body = request.json()
        data = body.get("callback") if isinstance(body, dict) else None
        data = data if isinstance(data, dict) else {}
        problems = []
        if data.get("event") not in EVENTS:
            problems.append("event: Value error, Unrecognized event.")
        uri = data.get("uri") or ""
        if urlsplit(uri).scheme not in ("http", "https") or not urlsplit(uri).netloc:
            problems.append("uri: Input should be a valid URL, relative URL without a base")
        if problems:
            return self.events_error(
                422,
                "The request was well-formed but was unable to be followed due to semantic errors.",
                problems,
            )
        callback = self.add_callback(account_id, data["event"], uri)
        return Response.json({"response": {"result": {"callback": self.callback_json(callback)}}})

    def add_callback(self, account_id, event, uri, *, verified=False) -> dict:
        callback = {
            "callbackid": self.next_id("callback"),
            "event": event,
            "uri": uri,
            "verified": verified,
            "updated_at": self.utc_iso(),
            "verifier": secrets.token_urlsafe(24)[:31],
        }
        self.account(account_id)["callback"][callback["callbackid"]] = callback
        if not verified:
            self.send_verification(account_id, callback)
        return callback

    def send_verification(self, account_id, callback):
        business = self.account(account_id)["business"]
        pairs = [
            ("user_id", str(business["userid"])),
            ("name", "callback.verify"),
            ("verifier", callback["verifier"]),
            ("object_id", str(callback["callbackid"])),
            ("account_id", account_id),
            ("system", self.config["system_url"]),
        ]
        headers = self.delivery_headers()
        if self.config["sign_verification"]:
            headers["X-FreshBooks-Hmac-SHA256"] = sign(callback["verifier"], pairs)
        self.outbox.enqueue(
            callback["uri"],
            urlencode(pairs).encode(),
            headers,
            event="callback.verify",
            subscription=f"verify:{callback['callbackid']}",
        )

    def delivery_headers(self) -> dict:
        return {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": self.config["user_agent"]}

    @route("PUT", "/events/account/{account_id}/events/callbacks/{callback_id:int}")
    def verify_callback(self, request, account_id, callback_id):
        self.events_account(request, account_id)
        callback = self.find_callback(account_id, callback_id)
        body = request.json()
        data = body.get("callback") if isinstance(body, dict) else None
        data = data if isinstance(data, dict) else {}
        if data.get("resend"):
            self.send_verification(account_id, callback)
        elif "verifier" in data:
            if not hmac.compare_digest(str(data["verifier"]).encode(), callback["verifier"].encode()):
                return self.events_error(
                    422,
                    "The request was well-formed but was unable to be followed due to semantic errors.",
                    ["verifier: Value error, Invalid verifier."],
                )
            callback["verified"] = True
            subscription = f"callback:{callback_id}"
            self.outbox.disabled.discard(subscription)
            self.outbox.failures.pop(subscription, None)
        else:
            return self.events_error(
                422,
                "The request was well-formed but was unable to be followed due to semantic errors.",
                ["callback: Value error, Expected a verifier or resend."],
            )
        callback["updated_at"] = self.utc_iso()
        return Response.json({"response": {"result": {"callback": self.callback_json(callback)}}})

    @route("GET", "/events/account/{account_id}/events/callbacks")
    def list_callbacks(self, request, account_id):
        self.events_account(request, account_id)
        callbacks = list(self.account(account_id)["callback"].values())
        wanted = request.arg("search[event]")
        if wanted:
            # "matches event and parent event": invoice finds invoice and invoice.*, invoice.create finds
            # invoice.create and invoice.
            callbacks = [
                c
                for c in callbacks
                if c["event"] == wanted or c["event"].split(".")[0] == wanted or c["event"] == wanted.split(".")[0]
            ]
        page = max(1, int(request.arg("page") or 1))
        per_page = max(1, min(int(request.arg("per_page") or self.config["default_per_page"]), 100))
        chunk = callbacks[(page - 1) * per_page : page * per_page]
        result = {
            "callbacks": [self.callback_json(c) for c in chunk],
            "page": page,
            "pages": max(1, -(-len(callbacks) // per_page)),
            "per_page": per_page,
            "total": len(callbacks),
        }
        return Response.json({"response": {"result": result}})

    @route("GET", "/events/account/{account_id}/events/callbacks/{callback_id:int}")
    def get_callback(self, request, account_id, callback_id):
        self.events_account(request, account_id)
        callback = self.find_callback(account_id, callback_id)
        return Response.json({"response": {"result": {"callback": self.callback_json(callback)}}})

    @route("DELETE", "/events/account/{account_id}/events/callbacks/{callback_id:int}")
    def delete_callback(self, request, account_id, callback_id):
        self.events_account(request, account_id)
        self.find_callback(account_id, callback_id)
        del self.account(account_id)["callback"][callback_id]
        return Response.empty(204)

    def on_subscription_disabled(self, subscription):
        """Repeated failures: the callback reads `verified: false` until verified again (our choice; UNCONFIRMED)."""
        kind, _, callback_id = subscription.partition(":")
        if kind != "callback":
            return
        for account in self.state["accounts"].values():
            callback = account["callback"].get(int(callback_id))
            if callback is not None:
                callback["verified"] = False

    def emit(self, account_id: str, name: str, object_id: int, identity_id=None) -> int:
        """Queues `name` for every matching callback of the account; returns how many deliveries were queued."""
        account = self.account(account_id)
        business = account["business"]
        values = {
            "name": name,
            "object_id": str(object_id),
            "account_id": account_id,
            "business_id": str(business["id"]),
            "identity_id": str(identity_id or self.config["identity"]["id"]),
            "user_id": str(business["userid"]),
        }
        pairs = [(key, values[key]) for key in DELIVERY_FIELD_ORDERS[self.config["delivery_field_order"]]]
        body = urlencode(pairs).encode()
        queued = 0
        for callback in account["callback"].values():
            matches = callback["event"] in (name, name.split(".")[0])
            if not matches or not (callback["verified"] or self.config["deliver_to_unverified"]):
                continue
            headers = {**self.delivery_headers(), "X-FreshBooks-Hmac-SHA256": sign(callback["verifier"], pairs)}
            queued += len(
                self.outbox.enqueue(
                    callback["uri"], body, headers, event=name, subscription=f"callback:{callback['callbackid']}"
                )
            )
        return queued
