"""What the three FreshBooks services share: accounting envelopes, both error styles, bearer tokens and
their scopes, US/Eastern time and ids. Every route mixin leans on these, so they belong to none of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from connections.sandbox import HttpError, Response

EASTERN = ZoneInfo("America/New_York")
# The sandbox businesses' address: users/me shows it, and invoices carry it as their `sender_address`.
BUSINESS_ADDRESS = {
    "street": "100 Sandbox Way",
    "street2": "",
    "city": "Toronto",
    "province": "Ontario",
    "country": "Canada",
    "code": "M5V 2T6",
}


class Kind:
    """One accounting resource: where it lives, what it is called, how its errors read."""

    def __init__(self, name, plural, section, id_field, not_found_field):
        self.name, self.plural, self.section = name, plural, section
        self.id_field, self.not_found_field = id_field, not_found_field

    @property
    def scope_object(self) -> str:
        return self.plural


UNVERIFIED = "The server could not verify that you are authorized to access the URL requested."
UNVERIFIED_MORE = (
    " You either supplied the wrong credentials (e.g. a bad password), or your browser doesn't understand how to"
    " supply the credentials required."
)

KINDS = {
    "client": Kind("client", "clients", "users", "userid", "userid"),
    "invoice": Kind("invoice", "invoices", "invoices", "invoiceid", "invoiceid"),
    "payment": Kind("payment", "payments", "payments", "logid", "paymentid"),
    "expense": Kind("expense", "expenses", "expenses", "expenseid", "expenseid"),
}
BY_PATH = {(k.section, k.plural): k for k in KINDS.values()}
FIRST_IDS = {
    "client": 100001,
    "invoice": 2000001,
    "payment": 3000001,
    "expense": 4000001,
    "project": 654321,
    "callback": 2001,
}


class Shared:
    """Envelopes, errors, tokens, time and ids, for every service."""

    # Time, ids and envelopes -------------------------------------------------------------------------

    def eastern_now(self) -> str:
        """Accounting timestamps: naive, in US/Eastern."""
        return datetime.fromtimestamp(self.clock.now(), EASTERN).strftime("%Y-%m-%d %H:%M:%S")

    def eastern_today(self) -> str:
        return datetime.fromtimestamp(self.clock.now(), EASTERN).date().isoformat()

    def eastern_version(self) -> str:
        """Invoices' and expenses' `version`: the Eastern time of the last change, to the microsecond."""
        return datetime.fromtimestamp(self.clock.now(), EASTERN).strftime("%Y-%m-%d %H:%M:%S.%f")

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
            if service == "projects":  # the projects service's own body (SDK get_project_response__no_auth)
                raise HttpError(Response.json({"message": UNVERIFIED + UNVERIFIED_MORE}, 401))
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
        if service == "projects":
            return Response.json({"message": message}, 403)
        return self.accounting_error(403, 1003, message)

    def identity_accounts(self, token) -> set[str]:
        return {b["account_id"] for b in self.config["businesses"]} if token else set()

    def account(self, account_id: str) -> dict:
        return self.state["accounts"][account_id]
