"""The FreshBooks sandbox: OAuth, users/me, accounting records and the events (webhook) service.

It follows ../shared/providers/freshbooks.md: envelopes (`response.result.<name>`), string money in
`{amount, code}`, naive US/Eastern timestamps, `customerid` on invoices but `clientid` on payments and expenses,
`vis_state` soft deletes, both accounting error styles, single-use rotating refresh tokens, and webhooks signed
over `json.dumps` of the form fields in body order. Choices the notes could not confirm are in DEFAULT_CONFIG
(and listed in README.md); change them per test with `FreshBooksEmulator(config={...})` or the control API.

The class is put together from one mixin per concern, so that each reads on its own: `oauth` (consent page,
token, users/me), `accounting` (record routes), `events` (callbacks and signed deliveries), `records` (what
each record holds), `state` (the write path, invoice totals, rendering), `control` (the sandbox's own actions
and page) and `shared` (envelopes, errors, tokens, time). Routes are collected from the whole MRO.
"""

from __future__ import annotations

from connections.providers.freshbooks import PROVIDER
from connections.providers.freshbooks.emulator.accounting import AccountingRoutes
from connections.providers.freshbooks.emulator.control import Controls
from connections.providers.freshbooks.emulator.events import EventsRoutes, sign
from connections.providers.freshbooks.emulator.oauth import OAuthRoutes
from connections.providers.freshbooks.emulator.projects import ProjectRoutes
from connections.providers.freshbooks.emulator.records import RecordBuilders
from connections.providers.freshbooks.emulator.shared import FIRST_IDS, Shared
from connections.providers.freshbooks.emulator.state import RecordState
from connections.sandbox import Emulator
from connections.sandbox.oauth import OAuthServer
from connections.sandbox.ratelimit import RateLimiter

__all__ = ["EMULATOR", "FreshBooksEmulator", "sign"]


class FreshBooksEmulator(
    OAuthRoutes, AccountingRoutes, ProjectRoutes, EventsRoutes, Controls, RecordState, RecordBuilders, Shared, Emulator
):
    provider = PROVIDER
    title = "FreshBooks"
    DEFAULT_CONFIG = {
        # OAuth. An app registered in the sandbox; any other client_id is refused like a real unknown app.
        "oauth_clients": [
            {
                "client_id": "sandbox-freshbooks-client",
                "client_secret": "sandbox-freshbooks-secret",
                "redirect_uris": [],
            }
        ],
        "access_token_ttl": 43200,  # 12 h [D-AUTH]; the literal expires_in is UNCONFIRMED
        "code_ttl": 300,
        "rotate_refresh_tokens": True,
        "id_token": False,  # SDK fixtures show an id_token; UNCONFIRMED that real grants without OpenID send one
        "https_redirect_uris_only": False,  # real: HTTPS only; the sandbox also allows http on loopback hosts
        # The signed-in person and their businesses (users/me, account ids, webhook identity fields).
        "identity": {
            "id": 3300101,
            "identity_uuid": "5a3f9b0e-7c2d-4e1a-9b8f-0d6c2e4a1f33",
            "first_name": "Sam",
            "last_name": "Sandbox",
            "email": "owner@sandbox.example",
        },
        "businesses": [
            {"id": 5100001, "account_id": "SbX4kq", "name": "Sandbox Studio", "role": "owner", "userid": 1},
            {"id": 5100002, "account_id": "SbP9zt", "name": "Partner Works", "role": "business_employee", "userid": 2},
        ],
        # Accounting.
        "api_version": "2023-02-20",
        "error_style": "new",  # "new" (google.rpc) or "old" ({"response":{"errors":[...]}}); UNCONFIRMED default
        "old_errors_with_http_200": False,  # old-style errors can arrive with HTTP 200 [NODE]
        "enforce_scopes": True,
        "default_per_page": 15,  # UNCONFIRMED (every fixture shows 15)
        "max_per_page": 100,
        "list_includes_deleted": False,  # deleted records leave lists but a GET still finds them (Apideck)
        "create_status": 200,  # UNCONFIRMED: status of a successful POST
        # Record fields the sources disagree on or do not show (README: UNCONFIRMED choices).
        "invoice_email": False,  # [NODE]'s fixture puts the client's `email` on invoices; [JAVA] and live do not
        "unset_invoice_vat_name": "",  # live responses: ""; [NODE]'s fixture: null
        "date_paid_while_partial": True,  # [JAVA]: the last payment's date; live: null until fully paid
        "discount_amount_negative": False,  # `discount.amount`: the discount as a positive amount, or negative
        "fulfillment_date_when_sent": "create_date",  # null while a draft; then "create_date" or "today"
        "rate_limit_per_minute": 0,  # FreshBooks publishes none; 0 turns the emulator's own limit off
        # Events service (webhooks).
        "sign_verification": True,  # UNCONFIRMED: whether the callback.verify POST is signed (with the verifier)
        "deliver_to_unverified": False,
        "delivery_field_order": "docs",  # or "pipedream": both orders appear in public sources
        "user_agent": "FreshBooks-Webhooks/1.0",  # UNCONFIRMED
        "system_url": "https://sandbox.freshbooks.com",
        "payment_updates_invoice_event": True,  # a payment also changes its invoice: invoice.update goes out
        "webhook_policy": {"retries": 2, "backoff_seconds": 60.0, "timeout_seconds": 10.0},  # all UNCONFIRMED
    }

    def initial_state(self):
        return {
            "accounts": {
                b["account_id"]: {
                    "business": b,
                    "client": {},
                    "invoice": {},
                    "payment": {},
                    "expense": {},
                    "project": {},
                    "callback": {},
                }
                for b in self.config["businesses"]
            },
            "next_ids": dict(FIRST_IDS),
        }

    def on_reset(self):
        config = self.config
        self.oauth = OAuthServer(
            self.clock,
            access_ttl=config["access_token_ttl"],
            code_ttl=config["code_ttl"],
            rotate_refresh_tokens=config["rotate_refresh_tokens"],
        )
        for client in config["oauth_clients"]:
            self.oauth.register_client(client["client_id"], client["client_secret"], tuple(client["redirect_uris"]))
        self.limiter = RateLimiter(self.clock, config["rate_limit_per_minute"] or 1, 60)


EMULATOR = FreshBooksEmulator
