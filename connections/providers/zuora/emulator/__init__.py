"""The sandbox twin of Zuora Billing's REST API: the client credentials flow on each environment's own host,
Accounts, standalone Invoices posted on create or later, External Payments applied to invoices, Object Query,
idempotency keys with Zuora's semantics, v1 failures inside HTTP 200, the per-minute rate limit and its
headers, and a write whose answer goes missing after Zuora did it.

Requests arrive on an environment's REST host (`https://rest.apisandbox.zuora.com`, ... or
`<SANDBOX_URL>/zuora/<environment>`); each environment holds one tenant, created on first use. Modules: `api.py`
the pipeline every route shares, `routes.py` the routes, `control.py` the sandbox's own actions, `tenant.py` the
state and Zuora's rules (no HTTP), `shapes.py` what the answers look like.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from connections.providers.configuration import sandbox_app
from connections.providers.zuora import ENVIRONMENTS, PROVIDER, REQUESTS_PER_MINUTE
from connections.providers.zuora.emulator.api import ApiPipeline
from connections.providers.zuora.emulator.control import ControlActions
from connections.providers.zuora.emulator.routes import ZuoraRoutes
from connections.providers.zuora.emulator.tenant import ZuoraTenant
from connections.sandbox.base import Emulator, Request, Response
from connections.sandbox.oauth import OAuthServer

__all__ = ["EMULATOR", "ZuoraEmulator", "ZuoraTenant"]

APP = sandbox_app("zuora")


class ZuoraEmulator(ZuoraRoutes, ControlActions, ApiPipeline, Emulator):
    provider = PROVIDER
    title = "Zuora"
    DEFAULT_CONFIG = {
        "default_environment": "us-sandbox-2",
        "client_id": APP["client_id"],
        "client_secret": APP["client_secret"],
        # Environments the OAuth client belongs to (empty: every one). Real clients belong to one tenant.
        "client_environments": [],
        # Tokens "valid for an hour" (zuora.md 1); the published sample says 3598 s.
        "token_ttl_seconds": 3598,
        # UNCONFIRMED: what a bad client or a client of another environment gets from /oauth/token.
        "bad_credentials_answer": [401, {"error": "invalid_client", "error_description": "Invalid client credentials"}],
        # UNCONFIRMED: whether Zuora compares bodies under one idempotency key (the docs name tenant, URL and
        # method only, zuora.md 5): False answers the first result again whatever the body.
        "idempotency_body_check": False,
        # UNCONFIRMED: whether invoice-level __c custom fields are accepted on POST /v1/invoices.
        "invoice_custom_fields": True,
        # UNCONFIRMED: filtering Object Query accounts on billTo.* without expand[]=billto.
        "filter_on_billto": True,
        # UNCONFIRMED: an Object Query filter on a custom field the tenant lacks: "empty" answers no rows,
        # "error" answers 400 with a category-27 reason (invalid query parameter).
        "unknown_filter_field": "empty",
        # How long the transport holds a write whose answer went missing (a client timeout).
        "lost_answer_hold_seconds": 30.0,
        # Requests a minute by tenant type (zuora.md 6); which type each environment is: see `limit_of`.
        "requests_per_minute": dict(REQUESTS_PER_MINUTE),
    }

    def initial_state(self):
        return {"tenants": {}, "tokens_minted": 0, "calls": {}, "keys_in_flight": 0}

    def on_reset(self) -> None:
        self.oauth = OAuthServer(self.clock, access_ttl=int(self.config["token_ttl_seconds"]))
        self.oauth.register_client(self.config["client_id"], self.config["client_secret"])

    def environment_of(self, request: Request) -> str:
        base = request.base_url.rstrip("/")
        for key, (_, url, _) in ENVIRONMENTS.items():
            if base == url or base.endswith(f"/zuora/{key}") or urlsplit(base).hostname == urlsplit(url).hostname:
                return key
        return self.config["default_environment"]

    def tenant(self, environment: str) -> ZuoraTenant:
        tenants = self.state["tenants"]
        if environment not in tenants:
            tenants[environment] = ZuoraTenant(12000 + len(tenants), environment, self.clock)
        return tenants[environment]

    def limit_of(self, tenant: ZuoraTenant) -> int:
        """Production and Central Sandbox (`*-test`) 50,000 a minute, API Sandboxes 2,500 (zuora.md 6)."""
        kind = "api_sandbox" if "sandbox" in tenant.environment else "production"
        return int(self.config["requests_per_minute"][kind])

    def describe(self) -> dict:
        return {
            "tokens_minted": self.state["tokens_minted"],
            "tenants": {
                key: {"accounts": len(t.accounts), "invoices": len(t.invoices), "payments": len(t.payments)}
                for key, t in self.state["tenants"].items()
            },
        }

    def error_response(self, status: int, message: str) -> Response:
        return Response.json({"success": False, "reasons": [{"code": 50000060, "message": message}]}, status)

    def not_found_response(self, request: Request) -> Response:
        return Response.json({"message": "no Route matched with those values"}, 404)

    def too_many_requests_response(self, retry_after: int) -> Response:
        body = {"success": False, "reasons": [{"code": 50000070, "message": "Too many requests."}]}
        return Response.json(body, 429, {"Retry-After": str(retry_after)})


EMULATOR = ZuoraEmulator
