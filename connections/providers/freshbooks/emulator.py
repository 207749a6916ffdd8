"""The FreshBooks sandbox: OAuth, users/me, accounting records and the events (webhook) service.

It follows ../shared/providers/freshbooks.md: envelopes (`response.result.<name>`), string money in
`{amount, code}`, naive US/Eastern timestamps, `customerid` on invoices but `clientid` on payments and expenses,
`vis_state` soft deletes, both accounting error styles, single-use rotating refresh tokens, and webhooks signed
over `json.dumps` of the form fields in body order. Choices the notes could not confirm are in DEFAULT_CONFIG
(and listed in README.md); change them per test with `FreshBooksEmulator(config={...})` or the control API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from html import escape
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from connections.providers.freshbooks import PROVIDER
from connections.sandbox import Emulator, FormField, HttpError, PageForm, Response, control, route
from connections.sandbox.oauth import OAuthError, OAuthServer
from connections.sandbox.ratelimit import RateLimiter

EASTERN = ZoneInfo("America/New_York")
CENT = Decimal("0.01")

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


class Kind:
    """One accounting resource: where it lives, what it is called, how its errors read."""

    def __init__(self, name, plural, section, id_field, not_found_field):
        self.name, self.plural, self.section = name, plural, section
        self.id_field, self.not_found_field = id_field, not_found_field

    @property
    def scope_object(self) -> str:
        return self.plural


KINDS = {
    "client": Kind("client", "clients", "users", "userid", "userid"),
    "invoice": Kind("invoice", "invoices", "invoices", "invoiceid", "invoiceid"),
    "payment": Kind("payment", "payments", "payments", "logid", "paymentid"),
    "expense": Kind("expense", "expenses", "expenses", "expenseid", "expenseid"),
}
BY_PATH = {(k.section, k.plural): k for k in KINDS.values()}
FIRST_IDS = {"client": 100001, "invoice": 2000001, "payment": 3000001, "expense": 4000001, "callback": 2001}


def sign(verifier: str, pairs: list[tuple[str, str]]) -> str:
    """FreshBooks' rule: base64 HMAC-SHA256, keyed by the verifier, over Python's default `json.dumps` of the
    form fields (values as strings, in body order), not over the raw body."""
    message = json.dumps({key: str(value) for key, value in pairs})
    digest = hmac.new(verifier.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def money(amount, code: str) -> dict:
    return {"amount": str(Decimal(amount).quantize(CENT, ROUND_HALF_UP)), "code": code}


def decimal(value, field: str) -> Decimal:
    raw = value.get("amount") if isinstance(value, dict) else value
    try:
        return Decimal(str(raw if raw not in (None, "") else "0"))
    except InvalidOperation:
        raise ValueError(f"{field} is not a number.") from None


class FreshBooksEmulator(Emulator):
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

    # Time, ids and envelopes -------------------------------------------------------------------------

    def eastern_now(self) -> str:
        """Accounting timestamps: naive, in US/Eastern."""
        return datetime.fromtimestamp(self.clock.now(), EASTERN).strftime("%Y-%m-%d %H:%M:%S")

    def eastern_today(self) -> str:
        return datetime.fromtimestamp(self.clock.now(), EASTERN).date().isoformat()

    def utc_iso(self) -> str:
        return datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def next_id(self, kind: str) -> int:
        value = self.state["next_ids"][kind]
        self.state["next_ids"][kind] = value + 1
        return value

    def accounting(self, data, status=200) -> Response:
        return Response.json(
            {"response": {"result": data}}, status, headers={"x-api-version": self.config["api_version"]}
        )

    # Errors ------------------------------------------------------------------------------------------

    def accounting_error(self, status, errno, message, *, obj="", field="", value="") -> Response:
        if self.config["error_style"] == "old":
            error = {"errno": errno, "field": field, "message": message, "object": obj, "value": str(value)}
            if not field:
                error = {"message": message, "errno": errno}
            http = 200 if self.config["old_errors_with_http_200"] else status
            return Response.json({"response": {"errors": [error]}}, http)
        codes = {400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 422: 3, 429: 8, 500: 13, 502: 14, 503: 14, 504: 4}
        detail = {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": str(errno),
            "domain": "accounting.api.freshbooks.com",
            "metadata": {"object": obj, "message": message, "value": str(value), "field": field},
        }
        body = {
            "code": codes.get(status, 2),
            "message": f"Request failed with status_code: {status}",
            "details": [detail],
        }
        return Response.json(body, status)

    def error_response(self, status, message):
        return self.accounting_error(status, status, message)

    def too_many_requests_response(self, retry_after):
        response = self.accounting_error(429, 429, "Too many requests.")
        response.headers["Retry-After"] = str(retry_after)
        return response

    def events_error(self, status, message, details=None) -> Response:
        if self.config["error_style"] == "new" and status in (400, 422):
            violations = [
                {"field": d.split(":")[0], "description": d.split(": ", 1)[-1].strip()} for d in details or []
            ]
            body = {
                "code": 3,
                "message": "Invalid data in this request.",
                "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": violations}],
            }
            return Response.json(body, status)
        body = {"errno": status, "message": message}
        if details:
            body["details"] = details
        return Response.json(body, status)

    # Authentication ----------------------------------------------------------------------------------

    def bearer(self, request) -> str:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""

    def require_token(self, request, service: str, account_id: str | None = None, scope: str | None = None):
        token, _reason = self.oauth.authenticate(self.bearer(request))
        if token is None:
            if service == "auth":
                raise HttpError(
                    Response.json(
                        {
                            "error": "unauthenticated",
                            "error_description": "This action requires authentication to continue.",
                        },
                        401,
                        content_type="application/json; charset=utf-8",
                    )
                )
            if service == "events":
                raise HttpError(
                    self.events_error(401, "invalid_token: The request token failed to authenticate or validate.")
                )
            raise HttpError(
                self.accounting_error(
                    401, 1003, "The server could not verify that you are authorized to access the URL requested."
                )
            )
        if account_id is not None and account_id not in self.identity_accounts(token):
            raise HttpError(self.forbidden(service, f"You do not have access to account {account_id}."))
        granted = set(token.grant.scope.split())
        if scope and self.config["enforce_scopes"] and scope not in granted and "admin:all:legacy" not in granted:
            message = f"Insufficient scope. Scopes provided: {' '.join(sorted(granted))}. Scopes required: {scope}."
            raise HttpError(self.forbidden(service, message))
        if self.config["rate_limit_per_minute"]:
            self.limiter.limit = self.config["rate_limit_per_minute"]
            decision = self.limiter.hit(account_id or str(token.grant.subject.get("identity_id")))
            if not decision.allowed:
                raise HttpError(self.too_many_requests_response(decision.retry_after))
        return token

    def forbidden(self, service, message):
        if service == "events":
            return self.events_error(403, message)
        return self.accounting_error(403, 1003, message)

    def identity_accounts(self, token) -> set[str]:
        return {b["account_id"] for b in self.config["businesses"]} if token else set()

    def account(self, account_id: str) -> dict:
        return self.state["accounts"][account_id]

    # OAuth -------------------------------------------------------------------------------------------

    @route("GET", "/oauth/authorize/?")
    def authorize_page(self, request):
        params = dict(request.query)
        try:
            client = self.oauth.client(params.get("client_id"))
            self.check_redirect_uri(client, params.get("redirect_uri"))
        except OAuthError as error:
            return Response.html(f"<h1>Authorization error</h1><p>{escape(error.description)}</p>", 400)
        if params.get("response_type") != "code":
            return self.redirect_back(params, error="unsupported_response_type")
        scopes = (params.get("scope") or "user:profile:read").split()
        hidden = "".join(
            f'<input type=hidden name="{escape(k)}" value="{escape(v)}">'
            for k, v in params.items()
            if k in ("client_id", "redirect_uri", "scope", "state", "response_type")
        )
        who = self.config["identity"]
        items = "".join(f"<li><code>{escape(s)}</code></li>" for s in scopes)
        page = f"""<!doctype html><html lang=en><head><meta charset=utf-8><title>Authorize application</title></head>
<body style="font:15px system-ui,sans-serif;max-width:36rem;margin:2rem auto">
<h1>FreshBooks (sandbox)</h1>
<p>Signed in as <strong>{escape(who["first_name"])} {escape(who["last_name"])}</strong>
({escape(who["email"])}).</p>
<p>The application <code>{escape(client.client_id)}</code> asks to:</p><ul>{items}</ul>
<form method=post action="{escape(request.base_url + request.path)}">{hidden}
<button name=decision value=allow>Allow</button> <button name=decision value=deny>Deny</button></form>
</body></html>"""
        return Response.html(page)

    @route("POST", "/oauth/authorize/?")
    def authorize_decision(self, request):
        params = request.data()
        try:
            client = self.oauth.client(params.get("client_id"))
            self.check_redirect_uri(client, params.get("redirect_uri"))
        except OAuthError as error:
            return Response.html(f"<h1>Authorization error</h1><p>{escape(error.description)}</p>", 400)
        if params.get("decision") != "allow":
            return self.redirect_back(
                params, error="access_denied", description="The resource owner denied the request."
            )
        scope = " ".join(dict.fromkeys(["user:profile:read", *(params.get("scope") or "").split()]))
        code = self.oauth.issue_code(
            client.client_id, params["redirect_uri"], scope, {"identity_id": self.config["identity"]["id"]}
        )
        return self.redirect_back(params, code=code)

    def check_redirect_uri(self, client, redirect_uri):
        self.oauth.check_redirect_uri(client, redirect_uri)
        parts = urlsplit(redirect_uri)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1", "testserver")
        if parts.query:
            raise OAuthError("invalid_redirect_uri", "Redirect URIs must not contain a query string; use state.")
        if parts.scheme != "https" and (self.config["https_redirect_uris_only"] or not loopback):
            raise OAuthError("invalid_redirect_uri", "Redirect URIs must use HTTPS.")

    def redirect_back(self, params, *, code=None, error=None, description=None):
        query = {"code": code} if code else {"error": error, "error_description": description or error}
        if params.get("state"):
            query["state"] = params["state"]
        return Response.redirect(f"{params['redirect_uri']}?{urlencode(query)}")

    @route("POST", "/auth/oauth/token")
    def token(self, request):
        data = request.data()
        client_id, client_secret = data.get("client_id"), data.get("client_secret")
        basic = request.headers.get("Authorization") or ""
        if basic.lower().startswith("basic ") and not client_secret:
            client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
        try:
            self.oauth.authenticate_client(client_id, client_secret)
            grant_type = data.get("grant_type")
            if grant_type == "authorization_code":
                grant = self.oauth.redeem_code(data.get("code"), client_id, data.get("redirect_uri"))
                tokens = self.oauth.issue_tokens(grant)
            elif grant_type == "refresh_token":
                tokens = self.oauth.refresh(data.get("refresh_token"), client_id)
            else:
                raise OAuthError(
                    "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server.",
                )
        except OAuthError as error:
            return Response.json(
                {"error": error.error, "error_description": error.description},
                error.status,
                content_type="application/json; charset=utf-8",
            )
        body = {
            "access_token": tokens.access.value,
            "token_type": "Bearer",
            "expires_in": tokens.expires_in,
            "refresh_token": tokens.refresh.value,
            "scope": tokens.access.grant.scope,
            "created_at": int(tokens.access.created_at),
        }
        if self.config["id_token"]:
            body["id_token"] = secrets.token_urlsafe(24)
        return Response.json(
            body,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
            content_type="application/json; charset=utf-8",
        )

    # Identity ----------------------------------------------------------------------------------------

    @route("GET", "/auth/api/v1/users/me")
    def me(self, request):
        self.require_token(request, "auth")
        who = self.config["identity"]
        businesses = self.config["businesses"]
        created = "2024-03-04T15:20:11Z"
        memberships = [
            {
                "id": 140100 + i,
                "role": b["role"],
                "unacknowledged_change": False,
                "business": {
                    "id": b["id"],
                    "business_uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"freshbooks-business-{b['id']}")),
                    "name": b["name"],
                    "account_id": b["account_id"],
                    "date_format": "mm/dd/yyyy",
                    "address": {
                        "id": 76400 + i,
                        "street": "100 Sandbox Way",
                        "city": "Toronto",
                        "province": "Ontario",
                        "country": "Canada",
                        "postal_code": "M5V 2T6",
                    },
                    "phone_number": {"id": 666100 + i, "phone_number": "416-555-0100"},
                    "business_clients": [],
                },
            }
            for i, b in enumerate(businesses)
        ]
        profession = {
            "id": 65400,
            "business_id": None,
            "title": "Owner",
            "company": businesses[0]["name"] if businesses else "",
            "designation": None,
        }
        body = {
            "id": who["id"],
            "profile": {
                "setup_complete": True,
                "first_name": who["first_name"],
                "last_name": who["last_name"],
                "phone_number": None,
                "address": None,
                "professions": [{**profession, "id": 52400}],
                "has_password": True,
            },
            "identity_id": who["id"],
            "identity_uuid": who["identity_uuid"],
            "first_name": who["first_name"],
            "last_name": who["last_name"],
            "email": who["email"],
            "language": "en",
            "confirmed_at": created,
            "created_at": created,
            "unconfirmed_email": None,
            "setup_complete": True,
            "phone_numbers": [{"title": "", "phone_number": None}],
            "addresses": [None],
            "profession": profession,
            "links": {
                "me": f"/service/auth/api/v1/users?id={who['id']}",
                "roles": f"/service/auth/api/v1/users/role/{who['id']}",
            },
            "permissions": {b["account_id"]: {} for b in businesses},
            "groups": [
                {
                    "id": 12300 + i,
                    "group_id": 7600 + i,
                    "role": b["role"],
                    "identity_id": who["id"],
                    "identity_uuid": who["identity_uuid"],
                    "business_id": b["id"],
                    "active": True,
                }
                for i, b in enumerate(businesses)
            ],
            "subscription_statuses": {b["account_id"]: "active" for b in businesses},
            "integrations": {},
            "business_memberships": memberships,
            "identity_origin": None,
            "roles": [
                {
                    "id": 61200 + i,
                    "role": "admin" if b["role"] == "owner" else b["role"],
                    "systemid": 654600 + i,
                    "userid": b["userid"],
                    "created_at": created,
                    "links": {"destroy": f"/service/auth/api/v1/users/role/{61200 + i}"},
                    "accountid": b["account_id"],
                }
                for i, b in enumerate(businesses)
            ],
        }
        return Response.json({"response": body}, content_type="application/json; charset=utf-8")

    # Accounting --------------------------------------------------------------------------------------

    def kind_for(self, section, collection) -> Kind:
        kind = BY_PATH.get((section, collection))
        if kind is None:
            raise HttpError(self.accounting_error(404, 1012, "Requested resource could not be found."))
        return kind

    def find(self, account_id, kind: Kind, object_id: int) -> dict:
        record = self.account(account_id)[kind.name].get(object_id)
        if record is None:
            raise HttpError(
                self.accounting_error(
                    404,
                    1012,
                    f"{kind.name.capitalize()} not found.",
                    obj=kind.name,
                    field=kind.not_found_field,
                    value=object_id,
                )
            )
        return record

    @route("GET", "/accounting/account/{account_id}/{section}/{collection}/{object_id:int}")
    def get_record(self, request, account_id, section, collection, object_id):
        kind = self.kind_for(section, collection)
        self.require_token(request, "accounting", account_id, f"user:{kind.scope_object}:read")
        record = self.find(account_id, kind, object_id)
        return self.accounting({kind.name: self.render(account_id, kind, record, request.args("include[]"))})

    @route("GET", "/accounting/account/{account_id}/{section}/{collection}")
    def list_records(self, request, account_id, section, collection):
        kind = self.kind_for(section, collection)
        self.require_token(request, "accounting", account_id, f"user:{kind.scope_object}:read")
        records = self.search(list(self.account(account_id)[kind.name].values()), request)
        try:
            page = max(1, int(request.arg("page") or 1))
            per_page = int(request.arg("per_page") or self.config["default_per_page"])
        except ValueError:
            return self.accounting_error(400, 2001, "page and per_page must be integers.")
        per_page = max(1, min(per_page, self.config["max_per_page"]))
        total = len(records)
        pages = max(1, -(-total // per_page))
        chunk = records[(page - 1) * per_page : page * per_page]
        includes = request.args("include[]")
        return self.accounting(
            {
                kind.plural: [self.render(account_id, kind, r, includes) for r in chunk],
                "page": page,
                "pages": pages,
                "per_page": per_page,
                "total": total,
            }
        )

    def search(self, records: list[dict], request) -> list[dict]:
        filters = {k[7:-1]: v for k, v in request.query if k.startswith("search[") and k.endswith("]")}
        if "vis_state" not in filters and not self.config["list_includes_deleted"]:
            records = [r for r in records if r["vis_state"] != 1]
        for name, value in filters.items():
            if name in ("updated_min", "updated_max"):
                day = value[:10]  # day granularity, whatever time of day is given
                if name == "updated_min":
                    records = [r for r in records if r["updated"][:10] >= day]
                else:
                    records = [r for r in records if r["updated"][:10] <= day]
            else:
                # A field the records do not have is ignored (e.g. updated_since, documented for time entries).
                records = [r for r in records if name not in r or str(r[name]) == value]
        sort = (request.arg("sort") or "").replace(":", "_")
        field, _, direction = sort.rpartition("_")
        if field and records and field in records[0]:
            return sorted(records, key=lambda r: (r[field] is None, r[field]), reverse=direction == "desc")
        return sorted(records, key=lambda r: r["id"], reverse=True)

    @route("POST", "/accounting/account/{account_id}/{section}/{collection}")
    def create_record(self, request, account_id, section, collection):
        kind = self.kind_for(section, collection)
        token = self.require_token(request, "accounting", account_id, f"user:{kind.scope_object}:write")
        fields = self.body_fields(request, kind)
        record = self.create(account_id, kind.name, fields, identity_id=token.grant.subject.get("identity_id"))
        rendered = self.render(account_id, kind, record, request.args("include[]"))
        return self.accounting({kind.name: rendered}, self.config["create_status"])

    @route("PUT", "/accounting/account/{account_id}/{section}/{collection}/{object_id:int}")
    def update_record(self, request, account_id, section, collection, object_id):
        kind = self.kind_for(section, collection)
        token = self.require_token(request, "accounting", account_id, f"user:{kind.scope_object}:write")
        self.find(account_id, kind, object_id)
        fields = self.body_fields(request, kind)
        record = self.update(
            account_id, kind.name, object_id, fields, identity_id=token.grant.subject.get("identity_id")
        )
        return self.accounting({kind.name: self.render(account_id, kind, record, request.args("include[]"))})

    @route("DELETE", "/accounting/account/{account_id}/{section}/{collection}/{object_id:int}")
    def delete_record(self, request, account_id, section, collection, object_id):
        kind = self.kind_for(section, collection)
        token = self.require_token(request, "accounting", account_id, f"user:{kind.scope_object}:write")
        if kind.name != "invoice":  # the SDKs DELETE only invoices; other records are deleted with vis_state 1
            return self.error_response(405, "Method not allowed.")
        self.find(account_id, kind, object_id)
        identity = token.grant.subject.get("identity_id")
        record = self.update(account_id, kind.name, object_id, {"vis_state": 1}, identity_id=identity)
        return self.accounting({kind.name: self.render(account_id, kind, record, ())})

    def body_fields(self, request, kind: Kind) -> dict:
        body = request.json()
        fields = body.get(kind.name) if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            raise HttpError(
                self.accounting_error(400, 2001, f"The request body must hold a {kind.name!r} object.", obj=kind.name)
            )
        return fields

    # Records: the one write path for the API, the control API and the page -----------------------------

    def create(self, account_id: str, kind: str, fields: dict, identity_id=None) -> dict:
        account = self.account(account_id)
        builder = getattr(self, f"build_{kind}")
        try:
            record = builder(account, self.next_id(kind), fields)
        except ValueError as error:
            raise HttpError(self.accounting_error(422, 2001, str(error), obj=kind)) from None
        account[kind][record["id"]] = record
        self.emit(account_id, f"{kind}.create", record["id"], identity_id)
        if kind == "payment":
            self.payment_changed(account_id, record["invoiceid"], identity_id)
        return record

    def update(self, account_id: str, kind: str, object_id: int, fields: dict, identity_id=None) -> dict:
        account = self.account(account_id)
        record = account[kind][object_id]
        before = record["vis_state"]
        try:
            getattr(self, f"apply_{kind}")(account, record, fields)
        except ValueError as error:
            raise HttpError(self.accounting_error(422, 2001, str(error), obj=kind)) from None
        record["updated"] = self.eastern_now()
        deleted = record["vis_state"] == 1 and before != 1
        self.emit(account_id, f"{kind}.{'delete' if deleted else 'update'}", object_id, identity_id)
        if kind == "payment":
            self.payment_changed(account_id, record["invoiceid"], identity_id)
        return record

    def payment_changed(self, account_id, invoice_id, identity_id):
        account = self.account(account_id)
        invoice = account["invoice"].get(invoice_id)
        if invoice is None:
            return
        self.recompute_invoice(account, invoice)
        invoice["updated"] = self.eastern_now()
        if self.config["payment_updates_invoice_event"]:
            self.emit(account_id, "invoice.update", invoice_id, identity_id)

    def common(self, account: dict) -> dict:
        return {"accounting_systemid": account["business"]["account_id"], "updated": self.eastern_now(), "vis_state": 0}

    def build_client(self, account, object_id, fields) -> dict:
        record = {
            **self.common(account),
            "allow_email_include_pdf": False,
            "allow_late_fees": True,
            "allow_late_notifications": True,
            "bus_phone": "",
            "company_industry": None,
            "company_size": None,
            "currency_code": "USD",
            "direct_link_token": None,
            "email": "",
            "fax": "",
            "fname": "",
            "has_retainer": None,
            "home_phone": "",
            "id": object_id,
            "language": "en",
            "last_activity": None,
            "last_login": None,
            "level": 0,
            "lname": "",
            "mob_phone": "",
            "note": None,
            "notified": False,
            "num_logins": 0,
            "organization": "",
            "p_city": "",
            "p_code": "",
            "p_country": "",
            "p_province": "",
            "p_street": "",
            "p_street2": "",
            "pref_email": True,
            "pref_gmail": False,
            "retainer_id": None,
            "role": "client",
            "s_city": "",
            "s_code": "",
            "s_country": "",
            "s_province": "",
            "s_street": "",
            "s_street2": "",
            # signup_date looks like UTC in real data, unlike the Eastern `updated`.
            "signup_date": datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "statement_token": None,
            "subdomain": None,
            "userid": object_id,
            "username": None,
            "vat_name": None,
            "vat_number": None,
        }
        self.apply_client(account, record, fields)
        if not (record["organization"] or record["fname"] or record["lname"] or record["email"]):
            raise ValueError("A client needs an organization, a name or an email.")
        return record

    CLIENT_FIELDS = (  # noqa: SIM905 (a word list reads better than a column of strings)
        "allow_email_include_pdf allow_late_fees allow_late_notifications bus_phone company_industry "
        "company_size currency_code email fax fname home_phone language lname mob_phone note organization "
        "p_city p_code p_country p_province p_street p_street2 pref_email pref_gmail s_city s_code s_country "
        "s_province s_street s_street2 username vat_name vat_number vis_state"
    ).split()

    def apply_client(self, account, record, fields):
        self.copy(record, fields, self.CLIENT_FIELDS)
        if record["username"] is None and record["email"]:
            record["username"] = record["email"].split("@")[0]

    def copy(self, record, fields, allowed):
        for name in allowed:
            if name in fields:
                value = fields[name]
                if name == "vis_state":
                    value = int(value)
                    if value not in (0, 1, 2):
                        raise ValueError("vis_state must be 0 (active), 1 (deleted) or 2 (archived).")
                record[name] = value

    INVOICE_FIELDS = (  # noqa: SIM905 (a word list reads better than a column of strings)
        "address auto_bill city code country currency_code deposit_percentage description "
        "discount_description fname language lname notes organization payment_details po_number province "
        "street street2 template terms vat_name vat_number vis_state"
    ).split()

    def build_invoice(self, account, object_id, fields) -> dict:
        customer = account["client"].get(int(fields.get("customerid") or 0))
        if customer is None:
            raise ValueError("customerid: Client not found.")
        today = self.eastern_today()
        number = len(account["invoice"]) + 1
        record = {
            **self.common(account),
            "accountid": account["business"]["account_id"],
            "address": "",
            "amount": None,
            "auto_bill": False,
            "autobill_status": None,
            "basecampid": 0,
            "city": customer["p_city"],
            "code": customer["p_code"],
            "country": customer["p_country"],
            "create_date": today,
            "created_at": self.eastern_now(),
            "currency_code": customer["currency_code"],
            "current_organization": customer["organization"],
            "customerid": customer["id"],
            "date_paid": None,
            "deposit_amount": None,
            "deposit_percentage": None,
            "deposit_status": "none",
            "description": "",
            "discount_description": None,
            "discount_value": "0",
            "display_status": "draft",
            "dispute_status": None,
            "due_offset_days": 0,
            "estimateid": 0,
            "ext_archive": 0,
            "fname": customer["fname"],
            "fulfillment_date": today,
            "generation_date": None,
            "gmail": False,
            "id": object_id,
            "invoice_number": f"{number:07d}",
            "invoiceid": object_id,
            "language": customer["language"],
            "last_order_status": None,
            "lines": [],
            "lname": customer["lname"],
            "notes": "",
            "organization": customer["organization"],
            "ownerid": 1,
            "parent": 0,
            "payment_details": "",
            "payment_status": "unpaid",
            "po_number": None,
            "province": customer["p_province"],
            "return_uri": None,
            "sentid": None,
            "show_attachments": False,
            "status": 1,
            "street": customer["p_street"],
            "street2": customer["p_street2"],
            "template": "clean-grouped",
            "terms": None,
            "uuid": str(uuid.UUID(int=self.random.getrandbits(128), version=4)),
            "v3_status": "draft",
            "vat_name": None,
            "vat_number": None,
            "version": None,
        }
        self.apply_invoice(account, record, fields)
        return record

    def apply_invoice(self, account, record, fields):
        self.copy(record, fields, self.INVOICE_FIELDS)
        for name in ("create_date", "fulfillment_date"):
            if name in fields:
                record[name] = date.fromisoformat(str(fields[name])).isoformat()
        if "invoice_number" in fields:
            record["invoice_number"] = str(fields["invoice_number"])
        if "due_offset_days" in fields:
            record["due_offset_days"] = int(fields["due_offset_days"])
        if "discount_value" in fields:
            record["discount_value"] = str(decimal(fields["discount_value"], "discount_value"))
        if "deposit_amount" in fields:
            value = fields["deposit_amount"]
            record["deposit_amount"] = (
                None if value is None else money(decimal(value, "deposit_amount"), record["currency_code"])
            )
        if "status" in fields:
            status = int(fields["status"])
            if status not in (1, 2):
                raise ValueError("status: only 1 (draft) and 2 (sent) can be set directly.")
            record["status"] = status
            record["sentid"] = 1 if status == 2 else record["sentid"]
        if "lines" in fields:
            record["lines"] = [self.build_line(record, i + 1, line) for i, line in enumerate(fields["lines"] or [])]
        record["due_date"] = (
            date.fromisoformat(record["create_date"]) + timedelta(days=record["due_offset_days"])
        ).isoformat()
        self.recompute_invoice(account, record)

    def build_line(self, invoice, lineid, line) -> dict:
        code = invoice["currency_code"]
        qty = decimal(line.get("qty", 1), "qty")
        unit_cost = decimal(line.get("unit_cost", 0), "unit_cost")
        return {
            "amount": money(qty * unit_cost, code),
            "basecampid": 0,
            "compounded_tax": bool(line.get("compounded_tax", False)),
            "date": line.get("date"),
            "description": line.get("description", ""),
            "expenseid": int(line.get("expenseid") or 0),
            "invoiceid": invoice["id"],
            "lineid": lineid,
            "modern_project_id": None,
            "modern_time_entries": [],
            "name": line.get("name", ""),
            "qty": format(qty.normalize(), "f"),
            "retainer_id": None,
            "retainer_period_id": None,
            "taskno": lineid,
            "taxAmount1": str(line.get("taxAmount1", "0")),
            "taxAmount2": str(line.get("taxAmount2", "0")),
            "taxName1": line.get("taxName1", ""),
            "taxName2": line.get("taxName2"),
            "taxNumber1": line.get("taxNumber1"),
            "taxNumber2": line.get("taxNumber2"),
            "type": int(line.get("type", 0)),
            "unit_cost": money(unit_cost, code),
            "updated": self.eastern_now(),
        }

    def recompute_invoice(self, account, invoice):
        """Totals from lines (discount, then line taxes as percentages) and from the live payments."""
        code = invoice["currency_code"]
        rate = decimal(invoice["discount_value"], "discount_value") / 100
        subtotal = sum((decimal(line["amount"], "amount") for line in invoice["lines"]), Decimal(0))
        taxes = Decimal(0)
        for line in invoice["lines"]:
            discounted = decimal(line["amount"], "amount") * (1 - rate)
            for n in (1, 2):
                taxes += discounted * decimal(line[f"taxAmount{n}"], "taxAmount") / 100
        discount = -(subtotal * rate)
        total = (subtotal + discount + taxes).quantize(CENT, ROUND_HALF_UP)
        payments = [p for p in account["payment"].values() if p["invoiceid"] == invoice["id"] and p["vis_state"] != 1]
        paid = sum((decimal(p["amount"], "amount") for p in payments), Decimal(0))
        invoice["amount"] = money(total, code)
        invoice["discount_total"] = money(discount, code)
        invoice["paid"] = money(paid, code)
        invoice["net_paid_amount"] = money(paid, code)
        invoice["outstanding"] = money(max(total - paid, Decimal(0)), code)
        if invoice["deposit_amount"] is not None:
            invoice["deposit_amount"]["code"] = code
        invoice["date_paid"] = max((p["date"] for p in payments), default=None)
        sent = invoice["status"] != 1 or bool(payments)
        if paid and paid >= total:
            invoice.update(status=4, v3_status="paid", payment_status="paid", display_status="sent")
        elif paid:
            invoice.update(status=8, v3_status="partial", payment_status="partial", display_status="sent")
        else:
            invoice.update(
                status=2 if sent else 1,
                v3_status="sent" if sent else "draft",
                payment_status="unpaid",
                display_status="sent" if sent else "draft",
            )
        invoice["version"] = datetime.fromtimestamp(self.clock.now(), EASTERN).strftime("%Y-%m-%d %H:%M:%S.%f")

    def build_payment(self, account, object_id, fields) -> dict:
        invoice = account["invoice"].get(int(fields.get("invoiceid") or 0))
        if invoice is None:
            raise ValueError("invoiceid: Invoice not found.")
        record = {
            **self.common(account),
            "amount": money(0, invoice["currency_code"]),
            "bulk_paymentid": None,
            "clientid": invoice["customerid"],
            "creditid": None,
            "date": self.eastern_today(),
            "from_credit": False,
            "gateway": None,
            "id": object_id,
            "invoiceid": invoice["id"],
            "logid": object_id,
            "note": "",
            "orderid": None,
            "overpaymentid": None,
            "send_client_notification": None,
            "transactionid": None,
            "type": "Check",
        }
        self.apply_payment(account, record, fields)
        return record

    def apply_payment(self, account, record, fields):
        self.copy(record, fields, ("note", "type", "send_client_notification", "vis_state"))
        if "amount" in fields:
            record["amount"] = money(decimal(fields["amount"], "amount"), record["amount"]["code"])
        if "date" in fields:
            record["date"] = date.fromisoformat(str(fields["date"])).isoformat()

    def build_expense(self, account, object_id, fields) -> dict:
        record = {
            **self.common(account),
            "account_name": "",
            "accountid": None,
            "amount": money(0, "USD"),
            "attachment": None,
            "background_jobid": None,
            "bank_name": "",
            "bill_matches": [],
            "billable": False,
            "categoryid": 0,
            "clientid": 0,
            "compounded_tax": False,
            "converse_projectid": None,
            "date": self.eastern_today(),
            "expenseid": object_id,
            "ext_accountid": None,
            "ext_invoiceid": 0,
            "ext_systemid": 0,
            "from_bulk_import": False,
            "has_receipt": False,
            "id": object_id,
            "include_receipt": False,
            "invoiceid": None,
            "is_cogs": False,
            "isduplicate": False,
            "markup_percent": "0",
            "modern_projectid": None,
            "notes": "",
            "potential_bill_payment": False,
            "profileid": None,
            "projectid": 0,
            "staffid": 1,
            "status": 0,
            "taxAmount1": None,
            "taxAmount2": None,
            "taxName1": None,
            "taxName2": None,
            "taxPercent1": None,
            "taxPercent2": None,
            "transactionid": None,
            "vendor": "",
        }
        self.apply_expense(account, record, fields)
        return record

    EXPENSE_FIELDS = (  # noqa: SIM905 (a word list reads better than a column of strings)
        "bank_name billable categoryid compounded_tax notes profileid projectid staffid status taxName1 "
        "taxName2 taxPercent1 taxPercent2 vendor vis_state is_cogs include_receipt markup_percent"
    ).split()

    def apply_expense(self, account, record, fields):
        self.copy(record, fields, self.EXPENSE_FIELDS)
        if "clientid" in fields:
            clientid = int(fields["clientid"] or 0)
            if clientid and clientid not in account["client"]:
                raise ValueError("clientid: Client not found.")
            record["clientid"] = clientid
        amount = fields.get("amount")
        code = (
            fields.get("currency_code")
            or (amount.get("code") if isinstance(amount, dict) else None)
            or record["amount"]["code"]
        )
        if "amount" in fields:
            record["amount"] = money(decimal(fields["amount"], "amount"), code)
        for name in ("taxAmount1", "taxAmount2"):
            if name in fields:
                record[name] = None if fields[name] is None else money(decimal(fields[name], name), code)
        if "date" in fields:
            record["date"] = date.fromisoformat(str(fields["date"])).isoformat()
        if "attachment" in fields:
            attachment = fields["attachment"]
            if attachment:
                attachment_id = int(attachment.get("attachmentid") or attachment.get("id") or self.next_id("expense"))
                record["attachment"] = {
                    "attachmentid": attachment_id,
                    "id": attachment_id,
                    "jwt": str(attachment.get("jwt", "")),
                    "media_type": str(attachment.get("media_type", "image/jpeg")),
                }
            else:
                record["attachment"] = None

    def render(self, account_id, kind: Kind, record: dict, includes) -> dict:
        """A record as the API shows it: `lines`, `presentation` and balances only when included."""
        data = {k: v for k, v in record.items() if k != "lines"}
        includes = set(includes or ())
        if kind.name == "invoice":
            if "lines" in includes:
                data["lines"] = record["lines"]
            if "presentation" in includes:
                data["presentation"] = self.presentation(record)
        if kind.name == "client":
            invoices = [
                i
                for i in self.account(account_id)["invoice"].values()
                if i["customerid"] == record["id"] and i["vis_state"] != 1
            ]
            if "outstanding_balance" in includes:
                data["outstanding_balance"] = self.balances(invoices, "outstanding")
            if "grand_total_balance" in includes:
                data["grand_total_balance"] = self.balances(invoices, "amount")
        return json.loads(json.dumps(data))  # a copy: callers never hold the emulator's own dicts

    def balances(self, invoices, field) -> list[dict]:
        totals: dict[str, Decimal] = {}
        for invoice in invoices:
            value = decimal(invoice[field], field)
            if value:
                code = invoice[field]["code"]
                totals[code] = totals.get(code, Decimal(0)) + value
        return [{"amount": money(total, code)} for code, total in sorted(totals.items())]

    def presentation(self, invoice) -> dict:
        return {
            "date_format": "mm/dd/yyyy",
            "description_heading": None,
            "hours_heading": None,
            "image_banner_position_y": 0,
            # The sandbox businesses have a logo and a banner; without them FreshBooks would send null.
            "image_banner_src": "/uploads/images/sandbox_banner",
            "image_logo_src": "/uploads/images/sandbox_logo",
            "invoiceid": invoice["id"],
            "item_heading": None,
            "label": None,
            "quantity_heading": None,
            "rate_heading": None,
            "task_heading": None,
            "theme_font_name": "modern",
            "theme_layout": "simple",
            "theme_primary_color": "#0063c1",
            "time_entry_notes_heading": None,
            "unit_cost_heading": None,
        }

    # Events service (webhooks) -----------------------------------------------------------------------

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

    # Control API and page ----------------------------------------------------------------------------

    def control_account(self, data) -> str:
        account_id = data.pop("account_id", None) or self.config["businesses"][0]["account_id"]
        if account_id not in self.state["accounts"]:
            raise ValueError(f"No account {account_id!r} in this sandbox.")
        return account_id

    @staticmethod
    def flat_fields(kind: str, data: dict) -> dict:
        """Accepts `{"invoice": {...}}` (API shape) or the page's flat fields (line_name, qty, unit_cost...)."""
        if isinstance(data.get(kind), dict):
            return data[kind]
        fields = {k: v for k, v in data.items() if v != ""}
        if kind == "invoice" and "line_name" in fields:
            fields["lines"] = [
                {
                    "name": fields.pop("line_name"),
                    "qty": fields.pop("qty", "1"),
                    "unit_cost": {"amount": fields.pop("unit_cost", "0")},
                }
            ]
        return fields

    @control("POST", "records/{kind}")
    def control_create(self, request, kind):
        if kind not in KINDS:
            raise ValueError(f"Unknown record kind {kind!r}.")
        data = request.data()
        account_id = self.control_account(data)
        record = self.create(account_id, kind, self.flat_fields(kind, data))
        return Response.json(self.render(account_id, KINDS[kind], record, ("lines",)), 201)

    @control("POST", "records/{kind}/{object_id:int}")
    def control_update(self, request, kind, object_id):
        if kind not in KINDS:
            raise ValueError(f"Unknown record kind {kind!r}.")
        data = request.data()
        account_id = self.control_account(data)
        self.find(account_id, KINDS[kind], object_id)
        record = self.update(account_id, kind, object_id, self.flat_fields(kind, data))
        return Response.json(self.render(account_id, KINDS[kind], record, ("lines",)))

    @control("GET", "records/{kind}")
    def control_list(self, request, kind):
        if kind not in KINDS:
            raise ValueError(f"Unknown record kind {kind!r}.")
        account_id = request.arg("account_id") or self.config["businesses"][0]["account_id"]
        records = self.account(account_id)[kind].values()
        return Response.json({"records": [self.render(account_id, KINDS[kind], r, ("lines",)) for r in records]})

    @control("POST", "events")
    def control_event(self, request):
        """Fires an event as FreshBooks would, without changing any record (e.g. a late duplicate)."""
        data = request.data()
        account_id = self.control_account(data)
        if data.get("event") not in EVENTS:
            raise ValueError(f"Unknown event {data.get('event')!r}.")
        return Response.json({"queued": self.emit(account_id, data["event"], int(data["object_id"]))})

    @control("POST", "callbacks")
    def control_callback(self, request):
        """Registers a callback as the app would; `verified` skips the handshake."""
        data = request.data()
        account_id = self.control_account(data)
        if data.get("event") not in EVENTS:
            raise ValueError(f"Unknown event {data.get('event')!r}.")
        verified = str(data.get("verified", "")).lower() in ("1", "true", "on", "yes")
        callback = self.add_callback(account_id, data["event"], data["uri"], verified=verified)
        return Response.json(self.callback_json(callback), 201)

    @control("GET", "callbacks/{callback_id:int}/verifier")
    def control_verifier(self, request, callback_id):
        """The verifier (the webhook signing key), for tests and the demo: it is what the app stores."""
        for account in self.state["accounts"].values():
            if callback_id in account["callback"]:
                return Response.json({"verifier": account["callback"][callback_id]["verifier"]})
        return Response.json({"error": "No such callback."}, 404)

    def page_forms(self):
        account = self.state["accounts"][self.config["businesses"][0]["account_id"]]
        clients = tuple(
            (str(c["id"]), c["organization"] or f"{c['fname']} {c['lname']}".strip() or c["email"])
            for c in account["client"].values()
            if c["vis_state"] != 1
        )
        invoices = tuple(
            (str(i["id"]), f"{i['invoice_number']} ({i['amount']['amount']} {i['amount']['code']})")
            for i in account["invoice"].values()
            if i["vis_state"] != 1
        )
        from django.conf import settings

        public = getattr(settings, "PUBLIC_BASE_URL", "http://127.0.0.1:8000")
        return [
            PageForm(
                "records/client",
                "Create a client",
                (
                    FormField("organization", "Organization", "Acme Corp"),
                    FormField("fname", "First name", "Ada"),
                    FormField("lname", "Last name", "Lovelace"),
                    FormField("email", "Email", "ada@acme.example"),
                    FormField("currency_code", "Currency", "USD"),
                ),
            ),
            PageForm(
                "records/invoice",
                "Create an invoice",
                (
                    FormField("customerid", "Client", clients[0][0] if clients else "", clients),
                    FormField("line_name", "Line", "Consulting"),
                    FormField("qty", "Quantity", "3"),
                    FormField("unit_cost", "Unit cost", "150.00"),
                    FormField("status", "Status", "2", (("1", "draft"), ("2", "sent"))),
                ),
            ),
            PageForm(
                "records/payment",
                "Record a payment",
                (
                    FormField("invoiceid", "Invoice", invoices[0][0] if invoices else "", invoices),
                    FormField("amount", "Amount", "100.00"),
                    FormField("type", "Type", "Check"),
                ),
            ),
            PageForm(
                "records/expense",
                "Create an expense",
                (
                    FormField("vendor", "Vendor", "Office Supplies Co"),
                    FormField("amount", "Amount", "54.00"),
                    FormField("notes", "Notes", "Paper"),
                ),
            ),
            PageForm(
                "callbacks",
                "Register a webhook callback (as the app would)",
                (
                    FormField("event", "Event", "invoice"),
                    FormField("uri", "URI", f"{public}/webhooks/freshbooks/"),
                    FormField("verified", "Handshake", "true", (("true", "skip (verified)"), ("false", "send verify"))),
                ),
                "Register",
            ),
        ]

    def describe(self):
        return {
            account_id: {
                "business_id": account["business"]["id"],
                "clients": len(account["client"]),
                "invoices": len(account["invoice"]),
                "payments": len(account["payment"]),
                "expenses": len(account["expense"]),
                "callbacks": [self.callback_json(c) for c in account["callback"].values()],
            }
            for account_id, account in self.state["accounts"].items()
        }


EMULATOR = FreshBooksEmulator
