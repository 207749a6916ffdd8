"""The sandbox twin of Zendesk Support: OAuth and API-token auth, organizations (with custom fields), users,
tickets and internal notes, the Webhooks API with signed event deliveries, and the account rate limit.

Requests arrive on `https://{subdomain}.zendesk.com` (or `<SANDBOX_URL>/zendesk/{subdomain}`); each subdomain
is its own account with its own records, created on first use with an admin, an API token and the sandbox
OAuth client. The package is split so each module holds one concern:

- HTTP (mixins of `ZendeskEmulator`; the framework collects routes from the class MRO): `api.py` the pipeline
  every route shares, `oauth.py`, `organizations.py`, `tickets.py`, `search.py`, `webhooks.py`, and
  `control.py` for the sandbox's own actions and page;
- state (no HTTP in it): `account.py` (`ZendeskAccount`, with one mixin per record kind in `account_*.py`),
  `records.py` the dataclasses, `errors.py` Zendesk's error bodies, `paging.py` cursors.

This module assembles the emulator: its settings, the accounts, and its error style.
"""

from __future__ import annotations

import json

from connections.providers.zendesk import PROVIDER
from connections.providers.zendesk.emulator.account import ZendeskAccount
from connections.providers.zendesk.emulator.account_webhooks import sign_delivery
from connections.providers.zendesk.emulator.api import ApiPipeline
from connections.providers.zendesk.emulator.control import ControlActions
from connections.providers.zendesk.emulator.errors import RATE_LIMITED_BODY
from connections.providers.zendesk.emulator.oauth import OAuthRoutes
from connections.providers.zendesk.emulator.organizations import OrganizationRoutes
from connections.providers.zendesk.emulator.search import SearchRoutes
from connections.providers.zendesk.emulator.tickets import TicketRoutes
from connections.providers.zendesk.emulator.webhooks import WebhookRoutes
from connections.sandbox.base import Emulator, Request, Response, mask
from connections.sandbox.oauth import OAuthServer
from connections.sandbox.ratelimit import RateLimiter

__all__ = ["EMULATOR", "ZendeskAccount", "ZendeskEmulator", "sign_delivery"]


class ZendeskEmulator(
    OAuthRoutes, OrganizationRoutes, TicketRoutes, SearchRoutes, WebhookRoutes, ControlActions, ApiPipeline, Emulator
):
    provider = PROVIDER
    title = "Zendesk"
    DEFAULT_CONFIG = {
        "default_subdomain": "acme",
        # Credentials every account accepts: the sandbox OAuth client and an API token for its admin.
        "oauth_client_id": "sandbox-zendesk-client",
        "oauth_client_secret": "sandbox-zendesk-secret",
        "oauth_redirect_uris": [],  # empty: any redirect URI
        "api_token": "zendesk-sandbox-api-token-0123456789",
        "oauth_auto_approve": False,  # skip the consent page and redirect at once
        # Support API requests per minute, account-wide (Enterprise); incremental exports 10/min.
        "rate_limit_per_minute": 700,
        "incremental_rate_limit_per_minute": 10,
        "ticket_update_limit": 30,
        "ticket_update_window_seconds": 600,
        # OAuth ([OAS] /oauth/tokens; Nango #6775). Expiring tokens are enforced for current clients; the
        # access TTL when the request names none (1800 s) is UNCONFIRMED. False: legacy non-expiring tokens.
        "tokens_expire": True,
        "default_access_ttl": 1800,
        "default_refresh_ttl": 2_592_000,
        "authorization_code_ttl": 120,
        "token_status": 201,  # [OAS]; a live 201 is UNCONFIRMED (clients must accept any 2xx)
        "token_accepts_form": False,  # [OAS]: the body "must be formatted as JSON"; live refusal UNCONFIRMED
        # users/me with wrong credentials: "anonymous" (200, anonymous user; node-zendesk#152) or "401".
        "users_me_on_bad_credentials": "anonymous",
        "unknown_custom_field": "ignore",  # or "reject" (422); UNCONFIRMED
        "delivery_body_style": "pretty",  # "pretty" (as recorded: 3-space indent, sorted keys) or "compact"
        "zendesk_event_version": "2022-11-06",
        "ticket_event_status_upper": True,  # ticket event detail.status casing, UNCONFIRMED
        "incremental_page_size": 1000,
        "webhook_policy": {},
        # Records. `generated_timestamp` outside incremental exports: "always" ([OAS], 2024 recording) or
        # "exports" (2023 recordings). New users' [time_zone, iana_time_zone]: IANA names in both, as the
        # live 2023 users; older accounts show a Rails name first, e.g. "Eastern Time (US & Canada)".
        "ticket_generated_timestamp": "always",
        "default_time_zone": ["America/New_York", "America/New_York"],
        # General search. The index lag is "up to a few minutes" ([DOC]) or 1-10 min (issues): 60 s is
        # UNCONFIRMED. A keyword given twice (status:open status:pending): "any" value or "all", UNCONFIRMED.
        # Relevance order cannot be emulated; without sort_by results come by this field, newest first.
        "search_index_lag_seconds": 60,
        "search_repeated_keyword": "any",
        "search_relevance_sort": "updated_at",
    }

    def initial_state(self):
        return {"accounts": {}}

    def on_reset(self) -> None:
        self.oauth = OAuthServer(
            self.clock,
            access_ttl=self.config["default_access_ttl"],
            code_ttl=self.config["authorization_code_ttl"],
            rotate_refresh_tokens=True,
        )
        self.oauth.register_client(
            self.config["oauth_client_id"],
            self.config["oauth_client_secret"],
            tuple(self.config["oauth_redirect_uris"]),
        )
        # Zendesk-only token facts the shared OAuth server does not keep: refresh token expiry, and which
        # access token each refresh token was issued with (a refresh deletes the whole previous pair).
        self.refresh_expiry: dict[str, float] = {}
        self.refresh_pairs: dict[str, str] = {}
        self.limiter = RateLimiter(self.clock, self.config["rate_limit_per_minute"])
        self.incremental_limiter = RateLimiter(self.clock, self.config["incremental_rate_limit_per_minute"])

    # Accounts ----------------------------------------------------------------------------------------

    def account(self, subdomain: str | None = None) -> ZendeskAccount:
        subdomain = (subdomain or self.config["default_subdomain"]).lower()
        accounts = self.state["accounts"]
        if subdomain not in accounts:
            account = ZendeskAccount(
                subdomain,
                clock=self.clock,
                config=self.config,
                account_id=18525119 + len(accounts),
            )
            account.add_api_token(self.config["api_token"])
            accounts[subdomain] = account
        return accounts[subdomain]

    def _account_for(self, request: Request) -> ZendeskAccount:
        account = self.account(request.host.get("subdomain"))
        if request.base_url:
            account.base_url = request.base_url.rstrip("/")
        return account

    def describe(self) -> dict:
        return {
            subdomain: {
                "account_id": account.account_id,
                "admin_email": account.admin.email,
                "organizations": len(account.organizations),
                "users": len(account.users),
                "tickets": len(account.tickets),
                "webhooks": len(account.webhooks),
            }
            for subdomain, account in self.state["accounts"].items()
        }

    # Error styles ------------------------------------------------------------------------------------

    def error_response(self, status: int, message: str) -> Response:
        if status == 404:
            return Response.json(
                {"error": "RecordNotFound", "description": "Not found"},
                404,
                content_type="application/json; charset=utf-8",
            )
        if status == 429:
            return self.too_many_requests_response(1)
        names = {405: "MethodNotAllowed", 500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable"}
        return Response.json(
            {"error": names.get(status, "Error"), "description": message},
            status,
            content_type="application/json; charset=utf-8",
        )

    def too_many_requests_response(self, retry_after: int) -> Response:
        """The standard 429 is text/plain, 50 bytes (a raw capture in the note, and Airbyte #11035)."""
        limit = str(self.config["rate_limit_per_minute"])
        return Response(
            429,
            RATE_LIMITED_BODY.encode(),
            {
                "Content-Type": "text/plain",
                "Retry-After": str(retry_after),
                "x-rate-limit": limit,
                "x-rate-limit-remaining": "0",
                "ratelimit-limit": limit,
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(retry_after),
            },
        )

    def journal_body(self, request: Request) -> bytes:
        """Webhook `api_key` authentication carries its secret as `authentication.data.value`, a key too
        common to mask everywhere; it is masked here, on the Webhooks API only."""
        if not request.path.startswith("/api/v2/webhooks") or not request.body:
            return request.body
        try:
            body = json.loads(request.body)
            data = body["webhook"]["authentication"]["data"]
        except (ValueError, KeyError, TypeError):
            return request.body
        if not isinstance(data, dict) or not data.get("value"):
            return request.body
        data["value"] = mask(data["value"])
        return json.dumps(body).encode()

    def on_subscription_disabled(self, subscription: str) -> None:
        """Zendesk's circuit breaker pauses a failing webhook; the sandbox shows it as inactive."""
        for account in self.state["accounts"].values():
            if subscription in account.webhooks:
                account.webhooks[subscription].status = "inactive"


EMULATOR = ZendeskEmulator
