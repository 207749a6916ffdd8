"""The sandbox twin of Zendesk Support: OAuth and API-token auth, organizations (with custom fields), users,
tickets and internal notes, the Webhooks API with signed event deliveries, and the account rate limit.

Requests arrive on `https://{subdomain}.zendesk.com` (or `<SANDBOX_URL>/zendesk/{subdomain}`); each subdomain
is its own account with its own records, created on first use with an admin, an API token and the sandbox
OAuth client. The account state and Zendesk's rules live in `emulator_state.py`; this module is the HTTP
surface: routes (every API path also answers with a `.json` suffix, as the real one does), authentication,
scopes, the rate limit headers, error bodies, and turning account events into signed webhook deliveries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
import json
from datetime import UTC, datetime
from functools import wraps
from urllib.parse import quote, urlencode

from connections.providers.zendesk import PROVIDER
from connections.providers.zendesk.emulator_state import (
    FORBIDDEN,
    INVALID_GRANT,
    INVALID_TOKEN,
    ZendeskAccount,
    ZendeskError,
    cursor_page,
    invalid_request,
    iso,
    not_found,
    sign_delivery,
    ulid,
)
from connections.sandbox.base import Emulator, FormField, PageForm, Request, Response, control, mask, route
from connections.sandbox.oauth import OAuthError, OAuthServer
from connections.sandbox.ratelimit import RateLimiter

RATE_LIMITED_BODY = "Number of allowed API requests per minute exceeded"


def api(method: str, pattern: str, *, json_suffix: bool = True, admin: bool = False):
    """Declares a Zendesk API route: also on `pattern.json`, with the account resolved, the caller
    authenticated and checked against the token's scopes, the rate limit applied and its headers set, and
    `ZendeskError`s turned into Zendesk's error bodies. The handler is called as
    `handler(self, request, account, user, **params)`."""

    def decorator(fn):
        @wraps(fn)
        def handler(self, request, **params):
            return self._serve_api(fn, request, params, write=method != "GET", admin=admin)

        route(method, pattern)(handler)
        if json_suffix:
            route(method, pattern + ".json")(handler)
        return handler

    return decorator


class ZendeskEmulator(Emulator):
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
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.on_reset()

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

    @staticmethod
    def _error(error: ZendeskError) -> Response:
        if isinstance(error.body, str):
            return Response(error.status, error.body.encode(), {"Content-Type": "text/plain", **error.headers})
        return Response.json(
            error.body, error.status, headers=error.headers, content_type="application/json; charset=utf-8"
        )

    @staticmethod
    def _json(data, status: int = 200, headers: dict | None = None) -> Response:
        return Response.json(data, status, headers=headers, content_type="application/json; charset=utf-8")

    # The API pipeline ----------------------------------------------------------------------------------

    def _serve_api(self, handler, request: Request, params: dict, *, write: bool, admin: bool):
        account = self._account_for(request)

        def answer():
            try:
                user = self._authorize(request, account, write=write, admin=admin)
                response = handler(self, request, account, user, **params)
            except ZendeskError as error:
                response = self._error(error)
            self._send_events(account)
            return response

        return self._within_rate_limit(account, answer)

    def _within_rate_limit(self, account: ZendeskAccount, answer) -> Response:
        """Counts the call against the account's minute; over it, the text/plain 429, else `answer()` with
        the limit headers every Zendesk API response carries."""
        self.limiter.limit = int(self.config["rate_limit_per_minute"])
        decision = self.limiter.hit(account.subdomain)
        if not decision.allowed:
            return self.too_many_requests_response(decision.retry_after)
        response = answer()
        headers = {
            "x-rate-limit": str(decision.limit),
            "x-rate-limit-remaining": str(decision.remaining),
            "ratelimit-limit": str(decision.limit),
            "ratelimit-remaining": str(decision.remaining),
            "ratelimit-reset": str(max(1, int(decision.reset_at - self.clock.now() + 0.999))),
        }
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    def _authorize(self, request: Request, account: ZendeskAccount, *, write: bool, admin: bool):
        """The acting user, or None for users/me's anonymous answer; raises 401/403 as Zendesk does."""
        user, scope, failure = self._authenticate(request, account)
        is_me = request.path.rstrip("/").removesuffix(".json").endswith("/users/me")
        if user is None:
            if failure == "bearer":
                raise ZendeskError(
                    401,
                    {"error": "invalid_token", "error_description": INVALID_TOKEN},
                    {"WWW-Authenticate": 'Bearer realm="Zendesk", error="invalid_token"'},
                )
            if is_me and self.config["users_me_on_bad_credentials"] == "anonymous":
                return None
            raise ZendeskError(
                401, {"error": "Couldn't authenticate you"}, {"WWW-Authenticate": 'Basic realm="Web Password"'}
            )
        if scope is not None and not is_me and not self._scope_allows(scope, request.path, write):
            raise ZendeskError(403, {"error": "Forbidden", "description": FORBIDDEN})
        if admin and user.role != "admin":
            raise ZendeskError(403, {"error": "Forbidden", "description": FORBIDDEN})
        return user

    def _authenticate(self, request: Request, account: ZendeskAccount):
        """(user, OAuth scope or None for API tokens, failure kind "bearer"/"basic"/"none")."""
        header = request.headers.get("Authorization", "") or ""
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            token, _why = self.oauth.authenticate(credentials.strip())
            subject = token.grant.subject if token else {}
            if token is None or subject.get("subdomain") != account.subdomain:
                return None, None, "bearer"
            user = account.users.get(subject.get("user_id"))
            return (user, token.grant.scope, "") if user else (None, None, "bearer")
        if scheme.lower() == "basic":
            try:
                login, _, password = base64.b64decode(credentials.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None, None, "basic"
            user = account.authenticate_basic(login, password)
            return (user, None, "") if user else (None, None, "basic")
        return None, None, "none"

    @staticmethod
    def _scope_allows(scope: str, path: str, write: bool) -> bool:
        granted = set(scope.split())
        needed = "write" if write else "read"
        segments = path.removesuffix(".json").split("/")
        resource = segments[3] if len(segments) > 3 else ""
        resource = {
            "organization_fields": "organizations",
            "incremental": segments[4] if len(segments) > 4 else "",
        }.get(resource, resource)
        return needed in granted or f"{resource}:{needed}" in granted

    # Events out ------------------------------------------------------------------------------------------

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

    # OAuth -----------------------------------------------------------------------------------------------

    @route("GET", "/oauth/authorizations/new")
    def authorize(self, request: Request):
        account = self._account_for(request)
        params = dict(request.query)
        try:
            client = self.oauth.client(params.get("client_id"))
            self.oauth.check_redirect_uri(client, params.get("redirect_uri"))
        except OAuthError as error:
            return Response.html(
                _page("Invalid authorization request", f"<p>{html.escape(error.description)}</p>"), 400
            )
        if params.get("response_type") != "code":
            return self._redirect_error(params, "unsupported_response_type")
        if params.get("code_challenge") and params.get("code_challenge_method", "plain") != "S256":
            return self._redirect_error(params, "invalid_request")
        if self.config["oauth_auto_approve"]:
            return self._approve(account, params)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
        )
        body = (
            f"<p><strong>{html.escape(client.client_id)}</strong> asks to access the Zendesk account "
            f"<strong>{html.escape(account.subdomain)}</strong> as {html.escape(account.admin.name)} "
            f"({html.escape(account.admin.email)}) with the scopes <code>{html.escape(params.get('scope', ''))}</code>."
            f'</p><form method="post" action="{html.escape(request.base_url)}/oauth/authorizations">{hidden}'
            '<button name="decision" value="allow">Allow</button> '
            '<button name="decision" value="deny">Deny</button></form>'
        )
        return Response.html(_page("Allow access?", body))

    @route("POST", "/oauth/authorizations")
    def authorize_decision(self, request: Request):
        account = self._account_for(request)
        params = request.data()
        try:
            client = self.oauth.client(params.get("client_id"))
            self.oauth.check_redirect_uri(client, params.get("redirect_uri"))
        except OAuthError as error:
            return Response.html(
                _page("Invalid authorization request", f"<p>{html.escape(error.description)}</p>"), 400
            )
        if params.get("decision") != "allow":
            return self._redirect_error(params, "access_denied")
        return self._approve(account, params)

    def _approve(self, account: ZendeskAccount, params: dict) -> Response:
        subject = {"subdomain": account.subdomain, "user_id": account.admin.id}
        if params.get("code_challenge"):
            subject["code_challenge"] = params["code_challenge"]
        code = self.oauth.issue_code(
            params["client_id"], params["redirect_uri"], params.get("scope") or "read", subject
        )
        query = {"code": code}
        if params.get("state") is not None:
            query["state"] = params["state"]
        return Response.redirect(_with_query(params["redirect_uri"], query))

    @staticmethod
    def _redirect_error(params: dict, error: str) -> Response:
        query = {"error": error}
        if params.get("state") is not None:
            query["state"] = params["state"]
        return Response.redirect(_with_query(params["redirect_uri"], query))

    @route("POST", "/oauth/tokens")
    def token(self, request: Request):
        account = self._account_for(request)

        def answer():
            try:
                tokens = self._grant(account, self._token_body(request))
            except OAuthError as error:
                return self._json({"error": error.error, "error_description": error.description}, error.status)
            return self._json(tokens, int(self.config["token_status"]), headers={"Cache-Control": "no-store"})

        return self._within_rate_limit(account, answer)

    def _token_body(self, request: Request) -> dict:
        ctype = request.content_type.split(";")[0].strip().lower()
        if ctype.endswith("json"):
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                raise OAuthError("invalid_request", "The request body is not valid JSON.") from None
            if not isinstance(body, dict):
                raise OAuthError("invalid_request", "The request body must be a JSON object.")
            return body
        if self.config["token_accepts_form"]:
            return request.data()
        raise OAuthError("invalid_request", "The request body must be formatted as JSON.")

    def _grant(self, account: ZendeskAccount, body: dict) -> dict:
        client = self.oauth.client(body.get("client_id"))
        grant_type = body.get("grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError("unsupported_grant_type", "The authorization grant type is not supported.")
        access_ttl, refresh_ttl = self._requested_ttls(body)
        if grant_type == "authorization_code":
            code = self.oauth.codes.get(str(body.get("code") or ""))
            challenge = code.grant.subject.get("code_challenge") if code else None
            if challenge:
                verifier = str(body.get("code_verifier") or "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if not hmac.compare_digest(digest, challenge):
                    raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge.")
                if client.client_secret and body.get("client_secret"):
                    self.oauth.authenticate_client(client.client_id, body.get("client_secret"))
            else:
                self.oauth.authenticate_client(client.client_id, body.get("client_secret"))
            grant = self.oauth.redeem_code(body.get("code"), client.client_id, body.get("redirect_uri"))
            if grant.subject.get("subdomain") != account.subdomain:
                raise OAuthError("invalid_grant", "The authorization code belongs to another account.")
            if not self.config["tokens_expire"]:
                tokens = self.oauth.issue_tokens(grant, refresh=False, access_ttl=None)
                return {"access_token": tokens.access.value, "scope": grant.scope, "token_type": "bearer"}
            tokens = self.oauth.issue_tokens(grant, access_ttl=access_ttl or self.config["default_access_ttl"])
        else:
            self.oauth.authenticate_client(client.client_id, body.get("client_secret"))
            value = str(body.get("refresh_token") or "")
            previous = self.oauth.refresh_tokens.get(value)
            if previous is not None and self.refresh_expiry.get(value, float("inf")) <= self.clock.now():
                raise OAuthError("invalid_grant", INVALID_GRANT)
            if previous is not None and previous.grant.subject.get("subdomain") != account.subdomain:
                raise OAuthError("invalid_grant", INVALID_GRANT)
            requested = body.get("scope")
            if (
                requested
                and previous is not None
                and not set(str(requested).split()) <= set(previous.grant.scope.split())
            ):
                raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
            tokens = self.oauth.refresh(
                value, client.client_id, access_ttl=access_ttl or self.config["default_access_ttl"]
            )
            # "A successful refresh returns a new access token and a new refresh token, and deletes the
            # previous pair" (Zendesk, 2025-04-30): the old access token dies with its refresh token.
            old_access = self.refresh_pairs.pop(value, None)
            if old_access in self.oauth.access_tokens:
                self.oauth.access_tokens[old_access].revoked = True
            if requested:
                tokens.access.grant = type(tokens.access.grant)(
                    tokens.access.grant.client_id, str(requested), dict(tokens.access.grant.subject)
                )
                tokens.refresh.grant = tokens.access.grant
        self.refresh_pairs[tokens.refresh.value] = tokens.access.value
        self.refresh_expiry[tokens.refresh.value] = self.clock.now() + (
            refresh_ttl or self.config["default_refresh_ttl"]
        )
        answer = {"access_token": tokens.access.value}
        if access_ttl is not None:
            answer["expires_in"] = access_ttl
        answer["refresh_token"] = tokens.refresh.value
        answer["refresh_token_expires_in"] = refresh_ttl or self.config["default_refresh_ttl"]
        answer["scope"] = tokens.access.grant.scope
        answer["token_type"] = "bearer"  # noqa: S105
        return answer

    @staticmethod
    def _requested_ttls(body: dict) -> tuple[int | None, int | None]:
        """`expires_in` must be >300 and <172,800 s and below `refresh_token_expires_in`, which must be
        >604,800 s (or above expires_in) and <7,776,000 s ([OAS] /oauth/tokens)."""

        def number(key):
            value = body.get(key)
            if value in (None, ""):
                return None
            try:
                return int(value)
            except (TypeError, ValueError):
                raise OAuthError("invalid_request", f"{key} must be an integer number of seconds.") from None

        access, refresh = number("expires_in"), number("refresh_token_expires_in")
        if access is not None and not 300 < access < 172_800:
            raise OAuthError("invalid_request", "expires_in must be greater than 300 and less than 172800.")
        if refresh is not None:
            floor = 604_800 if access is None else min(604_800, access)
            if not floor < refresh < 7_776_000:
                raise OAuthError(
                    "invalid_request", "refresh_token_expires_in must be greater than 604800 and less than 7776000."
                )
            if access is not None and access >= refresh:
                raise OAuthError("invalid_request", "expires_in must be less than refresh_token_expires_in.")
        return access, refresh

    @api("DELETE", "/api/v2/oauth/tokens/current")
    def revoke_current_token(self, request, account, user):
        _, _, token = (request.headers.get("Authorization", "") or "").partition(" ")
        if not self.oauth.revoke(token.strip()):
            raise not_found()
        return Response.empty(204)

    # Users -----------------------------------------------------------------------------------------------

    @api("GET", "/api/v2/users/me")
    def users_me(self, request, account, user):
        if user is None:
            return self._json({"user": account.anonymous_user_json()})
        return self._json({"user": account.me_json(user)})

    @api("GET", "/api/v2/users/search")
    def search_users(self, request, account, user):
        found = account.search_users(query=request.arg("query"), external_id=request.arg("external_id"))
        return self._json(self._offset_list(request, account, "users", found, account.user_json, "users/search"))

    @api("GET", "/api/v2/users/{user_id:int}")
    def show_user(self, request, account, user, user_id):
        return self._json({"user": account.user_json(account.user(user_id))})

    @api("POST", "/api/v2/users")
    def create_user(self, request, account, user):
        created = account.create_user(self._payload(request, "user"))
        return self._json(
            {"user": account.user_json(created)}, 201, headers={"Location": account.url(f"users/{created.id}.json")}
        )

    # Organizations -----------------------------------------------------------------------------------------

    @api("GET", "/api/v2/organizations")
    def list_organizations(self, request, account, user):
        orgs = list(account.organizations.values())
        return self._json(self._list(request, account, "organizations", orgs, account.organization_json))

    @api("POST", "/api/v2/organizations")
    def create_organization(self, request, account, user):
        org = account.create_organization(self._payload(request, "organization"))
        return self._json(
            {"organization": account.organization_json(org)},
            201,
            headers={"Location": account.url(f"organizations/{org.id}.json")},
        )

    @api("POST", "/api/v2/organizations/create_or_update")
    def create_or_update_organization(self, request, account, user):
        org, created = account.create_or_update_organization(self._payload(request, "organization"))
        headers = {"Location": account.url(f"organizations/{org.id}.json")} if created else {}
        return self._json({"organization": account.organization_json(org)}, 201 if created else 200, headers)

    @api("GET", "/api/v2/organizations/search")
    def search_organizations(self, request, account, user):
        found = account.search_organizations(name=request.arg("name"), external_id=request.arg("external_id"))
        return self._json(
            self._offset_list(
                request, account, "organizations", found, account.organization_json, "organizations/search"
            )
        )

    @api("GET", "/api/v2/organizations/autocomplete")
    def autocomplete_organizations(self, request, account, user):
        found = account.autocomplete_organizations(request.arg("name") or "")
        return self._json(
            self._offset_list(
                request, account, "organizations", found, account.organization_json, "organizations/autocomplete"
            )
        )

    @api("GET", "/api/v2/organizations/show_many")
    def show_many_organizations(self, request, account, user):
        if request.arg("ids"):
            wanted = [i for i in (request.arg("ids") or "").split(",") if i.strip().isdigit()]
            found = [account.organizations[int(i)] for i in wanted if int(i) in account.organizations]
        else:
            keys = [k for k in (request.arg("external_ids") or "").split(",") if k]
            found = [o for o in (account.find_by_external_id(k) for k in keys) if o is not None]
        return self._json(
            self._offset_list(
                request, account, "organizations", found, account.organization_json, "organizations/show_many"
            )
        )

    @api("GET", "/api/v2/organizations/{org_id:int}")
    def show_organization(self, request, account, user, org_id):
        return self._json({"organization": account.organization_json(account.organization(org_id))})

    @api("PUT", "/api/v2/organizations/{org_id:int}")
    def update_organization(self, request, account, user, org_id):
        org = account.update_organization(org_id, self._payload(request, "organization"))
        return self._json({"organization": account.organization_json(org)})

    @api("DELETE", "/api/v2/organizations/{org_id:int}")
    def delete_organization(self, request, account, user, org_id):
        account.delete_organization(org_id)
        return Response.empty(204)

    @api("GET", "/api/v2/organizations/{org_id:int}/tickets")
    def organization_tickets(self, request, account, user, org_id):
        tickets = account.tickets_of_organization(org_id)
        return self._json(
            self._list(request, account, "tickets", tickets, account.ticket_json, f"organizations/{org_id}/tickets")
        )

    @api("GET", "/api/v2/incremental/organizations", admin=True)
    def incremental_organizations(self, request, account, user):
        self._spend_incremental_budget(account)
        start = request.arg("start_time")
        if start is None or not start.strip().lstrip("-").isdigit():
            raise invalid_request("start_time is required and must be a Unix epoch", status=400)
        return self._json(account.incremental_organizations(int(start), self._export_page_size(request)))

    @api("GET", "/api/v2/incremental/tickets/cursor", admin=True)
    def incremental_tickets(self, request, account, user):
        return self._cursor_export(request, account, "tickets")

    @api("GET", "/api/v2/incremental/users/cursor", admin=True)
    def incremental_users(self, request, account, user):
        return self._cursor_export(request, account, "users")

    def _cursor_export(self, request: Request, account: ZendeskAccount, kind: str) -> Response:
        self._spend_incremental_budget(account)
        start = request.arg("start_time")
        if start is not None and not start.strip().lstrip("-").isdigit():
            raise invalid_request("start_time must be a Unix epoch", status=400)
        return self._json(
            account.incremental_cursor(
                kind,
                start_time=int(start) if start is not None else None,
                cursor=request.arg("cursor"),
                per_page=self._export_page_size(request),
            )
        )

    def _spend_incremental_budget(self, account: ZendeskAccount) -> None:
        """Incremental exports have their own limit, and their 429 is JSON, unlike the account's."""
        self.incremental_limiter.limit = int(self.config["incremental_rate_limit_per_minute"])
        decision = self.incremental_limiter.hit(account.subdomain)
        if not decision.allowed:
            raise ZendeskError(
                429,
                {
                    "error": "APIRateLimitExceeded",
                    "description": "Number of allowed incremental export API requests per minute exceeded",
                },
                {"Retry-After": str(decision.retry_after)},
            )

    @staticmethod
    def _export_page_size(request: Request) -> int | None:
        per_page = request.arg("per_page")
        return min(int(per_page), 1000) if per_page and per_page.isdigit() and int(per_page) > 0 else None

    # Organization fields -------------------------------------------------------------------------------------

    @api("GET", "/api/v2/organization_fields")
    def list_organization_fields(self, request, account, user):
        fields = sorted(account.organization_fields.values(), key=lambda f: (f.position, f.id))
        return self._json(
            self._offset_list(
                request, account, "organization_fields", fields, account.organization_field_json, "organization_fields"
            )
        )

    @api("POST", "/api/v2/organization_fields", admin=True)
    def create_organization_field(self, request, account, user):
        created = account.create_organization_field(self._payload(request, "organization_field"))
        return self._json(
            {"organization_field": account.organization_field_json(created)},
            201,
            headers={"Location": account.url(f"organization_fields/{created.id}.json")},
        )

    @api("GET", "/api/v2/organization_fields/{field_id:int}")
    def show_organization_field(self, request, account, user, field_id):
        found = account.organization_fields.get(field_id)
        if found is None:
            raise not_found()
        return self._json({"organization_field": account.organization_field_json(found)})

    # Tickets ---------------------------------------------------------------------------------------------

    @api("POST", "/api/v2/tickets")
    def create_ticket(self, request, account, user):
        ticket = account.create_ticket(self._payload(request, "ticket"), author=user)
        return self._json(
            {"ticket": account.ticket_json(ticket)}, 201, headers={"Location": account.url(f"tickets/{ticket.id}.json")}
        )

    @api("GET", "/api/v2/tickets/{ticket_id:int}")
    def show_ticket(self, request, account, user, ticket_id):
        return self._json({"ticket": account.ticket_json(account.ticket(ticket_id))})

    @api("PUT", "/api/v2/tickets/{ticket_id:int}")
    def update_ticket(self, request, account, user, ticket_id):
        ticket, audit = account.update_ticket(ticket_id, self._payload(request, "ticket"), author=user)
        total, remaining, resets = account.ticket_update_budget(ticket)
        header = f"total={total}; remaining={remaining}; resets={resets}"
        return self._json(
            {"ticket": account.ticket_json(ticket), "audit": audit},
            headers={"zendesk-rate-limit-tickets-update": header},
        )

    @api("GET", "/api/v2/tickets/{ticket_id:int}/comments")
    def ticket_comments(self, request, account, user, ticket_id):
        comments = account.ticket(ticket_id).comments
        return self._json(
            self._offset_list(
                request, account, "comments", comments, account.comment_json, f"tickets/{ticket_id}/comments"
            )
        )

    # Webhooks ----------------------------------------------------------------------------------------------

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

    # Shapes shared by the handlers ---------------------------------------------------------------------------

    @staticmethod
    def _payload(request: Request, key: str):
        """The `{"<key>": {...}}` envelope's inside; a missing envelope is Zendesk's 400."""
        body = request.json()
        inner = body.get(key) if isinstance(body, dict) else None
        if not isinstance(inner, dict):
            raise invalid_request(f"{key} parameter is missing", error="InvalidEndpoint")
        return inner

    def _list(self, request: Request, account: ZendeskAccount, key: str, items: list, render, path: str | None = None):
        """Cursor pagination when any `page[...]` parameter is sent, else offset pagination."""
        if not any(name.startswith("page[") for name, _ in request.query):
            return self._offset_list(request, account, key, items, render, path or key)
        size_arg = request.arg("page[size]") or "100"
        if not size_arg.isdigit() or not 0 < int(size_arg) <= 100:
            raise invalid_request(
                "page[size] must be a positive integer no greater than 100", error="InvalidPaginationParameter"
            )
        size = int(size_arg)
        page = cursor_page(items, size=size, after=request.arg("page[after]"), before=request.arg("page[before]"))
        base = account.url(f"{path or key}.json")

        def link(direction, cursor):
            return f"{base}?{urlencode({f'page[{direction}]': cursor, 'page[size]': size})}" if cursor else None

        return {
            key: [render(item) for item in page["items"]],
            "meta": {
                "has_more": page["has_more"],
                "after_cursor": page["after_cursor"],
                "before_cursor": page["before_cursor"],
            },
            "links": {
                "prev": link("before", page["before_cursor"]),
                "next": link("after", page["after_cursor"]) if page["has_more"] else None,
            },
        }

    @staticmethod
    def _offset_list(request: Request, account: ZendeskAccount, key: str, items: list, render, path: str) -> dict:
        per_page_arg, page_arg = request.arg("per_page") or "100", request.arg("page") or "1"
        per_page = min(int(per_page_arg), 100) if per_page_arg.isdigit() and int(per_page_arg) > 0 else 100
        page = int(page_arg) if page_arg.isdigit() and int(page_arg) > 0 else 1
        start = (page - 1) * per_page
        chunk = items[start : start + per_page]
        others = [(k, v) for k, v in request.query if k not in ("page", "per_page")]

        def link(number):
            return f"{account.url(path + '.json')}?{urlencode([*others, ('page', number), ('per_page', per_page)])}"

        return {
            key: [render(item) for item in chunk],
            "next_page": link(page + 1) if start + per_page < len(items) else None,
            "previous_page": link(page - 1) if page > 1 else None,
            "count": len(items),
        }

    # Control API and page ------------------------------------------------------------------------------------

    def _control_account(self, data: dict) -> ZendeskAccount:
        return self.account(data.pop("subdomain", None) or None)

    @control("POST", "accounts")
    def control_account(self, request):
        """Creates (or shows) an account and the credentials that work on it."""
        account = self.account(request.data().get("subdomain"))
        return Response.json(
            {
                "subdomain": account.subdomain,
                "account_id": account.account_id,
                "admin": {"id": account.admin.id, "email": account.admin.email},
                "api_token": self.config["api_token"],
                "oauth_client_id": self.config["oauth_client_id"],
                "oauth_client_secret": self.config["oauth_client_secret"],
            }
        )

    @control("POST", "records/organization")
    def control_create_organization(self, request):
        data = request.data()
        account = self._control_account(data)
        data = _clean_form(data)
        return self._control_answer(
            account, lambda: {"organization": account.organization_json(account.create_organization(data))}
        )

    @control("POST", "records/user")
    def control_create_user(self, request):
        data = request.data()
        account = self._control_account(data)
        data = _clean_form(data)
        return self._control_answer(account, lambda: {"user": account.user_json(account.create_user(data))})

    @control("POST", "records/ticket")
    def control_create_ticket(self, request):
        data = request.data()
        account = self._control_account(data)
        data = _clean_form(data)
        if "body" in data:
            data["comment"] = {"body": data.pop("body"), "public": data.pop("public", True) not in (False, "false")}
        return self._control_answer(account, lambda: {"ticket": account.ticket_json(account.create_ticket(data))})

    @control("POST", "records/organization_field")
    def control_create_organization_field(self, request):
        data = request.data()
        account = self._control_account(data)
        return self._control_answer(
            account,
            lambda: {"organization_field": account.organization_field_json(account.create_organization_field(data))},
        )

    @control("POST", "records/ticket_status")
    def control_set_ticket_status(self, request):
        """Closes (or reopens) a ticket the way Zendesk's automations do, without an API update."""
        data = request.data()
        account = self._control_account(data)
        ticket = account.ticket(data.get("ticket_id"))
        ticket.status = str(data.get("status", "closed"))
        return Response.json({"ticket": account.ticket_json(ticket)})

    def _control_answer(self, account: ZendeskAccount, make) -> Response:
        try:
            answer = make()
        except ZendeskError as error:
            return self._error(error)
        self._send_events(account)
        return Response.json(answer, 201)

    def page_forms(self) -> list[PageForm]:
        subdomain = FormField("subdomain", "Subdomain", self.config["default_subdomain"])
        return [
            PageForm(
                "records/organization",
                "Create an organization (fires organization.created)",
                (subdomain, FormField("name", "Name", "Acme Ltd"), FormField("external_id", "External id")),
            ),
            PageForm(
                "records/user",
                "Create a user (fires user.created)",
                (subdomain, FormField("name", "Name", "Jane Doe"), FormField("email", "Email", "jane@example.com")),
            ),
            PageForm(
                "records/ticket",
                "Create a ticket (fires ticket.created)",
                (
                    subdomain,
                    FormField("subject", "Subject", "Billing question"),
                    FormField("body", "First comment", "Where is my invoice?"),
                    FormField("organization_id", "Organization id"),
                ),
            ),
        ]


def _clean_form(data: dict) -> dict:
    """Form fields from the sandbox page arrive as strings; empty ones mean "not given"."""
    cleaned = {k: v for k, v in data.items() if v not in ("", None)}
    for key in ("organization_id", "requester_id", "assignee_id", "group_id"):
        if isinstance(cleaned.get(key), str) and cleaned[key].isdigit():
            cleaned[key] = int(cleaned[key])
    return cleaned


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _with_query(url: str, params: dict) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params, quote_via=quote)}"


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)} · Zendesk sandbox</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


EMULATOR = ZendeskEmulator
