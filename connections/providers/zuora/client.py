"""Zuora Billing calls the flows need, and how Zuora says things its own way.

A business failure usually arrives as HTTP 200 with `success: false` and 8-digit reason codes whose last two
digits are the category (zuora.md 6): lock contention, temporary and concurrency ones are retried, the rest
fail with Zuora's own words; an HTTP 500, 502, 503 or 504 is retried whatever its body says. Other endpoint
families answer `Success`/`Errors`, `FaultCode` or `code`. Every create is a POST with an `Idempotency-Key`:
Zuora replays the first answer for the same key, answers 409 while it is still working on it (retried) and 422
when the key comes back with another request (a bug of ours, said as one).
"""

import re
from urllib.parse import quote

from connections.providers import http
from connections.providers.errors import (
    AuthExpired,
    Invalid,
    NotFound,
    Permanent,
    ProviderError,
    Retryable,
    SetupMissing,
)
from connections.providers.zuora import ENVIRONMENTS, PROVIDER

CLIENT_ID_FIELD = "FreshBooksClientId__c"
INVOICE_ID_FIELD = "FreshBooksInvoiceId__c"
RETRIED = {"50", "61", "70", "99"}  # lock contention, temporary, concurrency limit, integration (zuora.md 6)
SERVER_ERRORS = (500, 502, 503, 504)
TRACK_ID = re.compile(r"[^A-Za-z0-9._-]")


class KeyReused(Permanent):
    """Zuora saw this idempotency key with another request: two writes were given one key, which is a bug."""


def call(connection, method: str, path: str, *, track_id: str = "", idempotency_key: str = "", **kwargs):
    """A call on the connection's environment; `track_id` (the job) lets Zuora support find it."""
    headers = dict(kwargs.pop("headers", None) or {})
    if track_id:
        headers["Zuora-Track-Id"] = TRACK_ID.sub("", track_id)[:64]
    if idempotency_key and method in ("POST", "PATCH"):
        headers["Idempotency-Key"] = idempotency_key
    return http.call(connection, method, path, headers=headers, **kwargs)


def environment_name(connection) -> str:
    return ENVIRONMENTS.get(connection.addresses.get("environment"), ("an unknown environment",))[0]


# Hooks the shared call path reads ---------------------------------------------------------------------


def rate_limit_of(headers) -> dict | None:
    """The minute window of `RateLimit-Limit: 2250000, 50000;w=60, ...` with `RateLimit-Remaining`/`-Reset`."""
    limit_header, remaining = headers.get("RateLimit-Limit", ""), headers.get("RateLimit-Remaining")
    windows = dict((int(w), int(q)) for q, w in re.findall(r"(\d+)\s*;\s*w=(\d+)", limit_header))
    if 60 not in windows or remaining is None:
        return None
    reset = headers.get("RateLimit-Reset")
    return {
        "limit": windows[60],
        "remaining": int(remaining),
        "window_seconds": 60,
        "reset_seconds": int(reset) if str(reset or "").isdigit() else 60,
    }


def error_in_body(status: int, body):
    """Zuora's error shapes as our error types, in its words; None when the answer is a success."""
    kwargs = {"status": status, "provider": PROVIDER.slug, "details": body}
    if status == 429 and not (isinstance(body, dict) and body.get("code") == "REQUEST_EXCEEDED_LIMIT"):
        return None  # the rate limit: the platform's RateLimited reads Retry-After and paces the connection
    if status == 409:
        return Retryable("Zuora is still working on a request with this idempotency key; asking again.", **kwargs)
    if status == 422 and _says_idempotency(body):
        return KeyReused(
            "Zuora refused a request whose idempotency key it had seen with another request: that is a bug in "
            "ml-connector (two different writes were given one key); nothing was written twice. Please report it.",
            **kwargs,
        )
    if not isinstance(body, dict):
        return None
    if status in SERVER_ERRORS:  # retried whatever the body's category says (Zuora's own advice, zuora.md 6)
        return Retryable(f"Zuora answered HTTP {status}: {describe_body(body)}; retried shortly.", **kwargs)
    if body.get("success") is False or body.get("Success") is False:
        reasons = body.get("reasons") or [
            {"code": e.get("Code", ""), "message": e.get("Message", "")} for e in body.get("Errors") or []
        ]
        return from_reasons(reasons, status, body)
    if body.get("FaultCode"):
        return Invalid(f"Zuora refused the query: {body['FaultCode']}: {body.get('FaultMessage', '')}", **kwargs)
    if body.get("code") == "REQUEST_EXCEEDED_LIMIT":
        return Retryable(f"Zuora: {body.get('message', 'too many concurrent requests')}", **kwargs)
    return None


def describe_body(body: dict) -> str:
    """Zuora's words in any of its error shapes, for a message."""
    reasons = body.get("reasons") or [
        {"code": e.get("Code", ""), "message": e.get("Message", "")} for e in body.get("Errors") or []
    ]
    said = "; ".join(f"{r.get('code')}: {r.get('message')}" for r in reasons)
    return said or str(body.get("message") or body.get("FaultMessage") or "no reason given")[:200]


def _says_idempotency(body) -> bool:
    return "idempot" in str(body).lower()


def from_reasons(reasons: list, status: int, body) -> ProviderError:
    kwargs = {"status": status, "provider": PROVIDER.slug, "details": body}
    said = "; ".join(f"{r.get('code')}: {r.get('message')}" for r in reasons) or "no reason given"
    codes = [str(r.get("code", "")) for r in reasons]
    categories = {code[-2:] for code in codes if code.isdigit() and len(code) == 8}
    if "90000011" in codes or "11" in categories:
        return AuthExpired(f"Zuora did not accept the credentials ({said}).", **kwargs)
    missing = [name for obj, name, _ in CUSTOM_FIELDS if name in said]
    if missing and categories & {"21", "27"}:
        obj = next(obj for obj, name, _ in CUSTOM_FIELDS if name == missing[0])
        return SetupMissing(
            f"Zuora has no custom field {missing[0]} on {obj} ({said}). {field_advice(obj, missing[0])}", **kwargs
        )
    if categories & RETRIED:
        return Retryable(f"Zuora was busy ({said}); retried shortly.", **kwargs)
    if "10" in categories:
        return SetupMissing(
            f"Zuora refused for lack of a permission ({said}). Give the API user API Write Access (and, for "
            "standalone invoices, Unified Invoicing with Create Standalone Invoice), then test the connection.",
            **kwargs,
        )
    if "40" in categories:
        return NotFound(f"Zuora: {said}", **kwargs)
    return Invalid(f"Zuora refused it: {said}", **kwargs)


# Connection checks ----------------------------------------------------------------------------------


CUSTOM_FIELDS = (
    ("Account", CLIENT_ID_FIELD, "the FreshBooks client id"),
    ("Invoice", INVOICE_ID_FIELD, "the FreshBooks invoice id"),
)


def ping(connection) -> tuple[bool, str]:
    """Describe Account and Invoice: proves the token works in this environment and says which custom field
    the customer must still create (two calls, when a person presses Test)."""
    where = environment_name(connection)
    problems = setup_problems(connection, audit_kind="connection.ping")
    if problems:
        return False, f"Zuora ({where}) answered, but is not set up yet: " + " ".join(problems)
    return True, f"Zuora ({where}) answered: the OAuth client works here, and both FreshBooks id fields exist."


def setup_problems(connection, *, integration=None, audit_kind: str = "api.call") -> list[str]:
    """The custom fields the flow writes and filters on that the tenant lacks, each with what to do."""
    problems = []
    for obj, name, holds in CUSTOM_FIELDS:
        answer = call(
            connection,
            "GET",
            f"/v1/describe/{obj}",
            headers={"Accept": "application/xml"},
            integration=integration,
            audit_kind=audit_kind,
        )
        if name not in described_fields(answer.data):
            problems.append(f"{obj} has no custom field {name} (for {holds}). {field_advice(obj, name)}")
    return problems


def described_fields(xml) -> set[str]:
    """Field names of a describe answer (XML; our own request to the connection's checked host)."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(xml or "")  # noqa: S314 - expat refuses entity expansion attacks since 2.4.1
    except ElementTree.ParseError:
        return set()
    return {element.text for element in root.iterfind("./fields/field/name") if element.text}


def field_advice(obj: str, name: str) -> str:
    return (
        f"In Zuora, add the custom field {name} to {obj} (Settings > Billing > Manage Custom Fields, or Object "
        "Manager in newer tenants): type Text, Indexed, so records can be found by it. Then press Test."
    )


# Records ---------------------------------------------------------------------------------------------


def query_accounts(connection, field: str, value: str, *, integration=None, track_id="") -> list[dict]:
    """Accounts whose `field` equals `value` (Object Query; an indexed custom field or a documented one)."""
    params = [("filter[]", f"{field}.EQ:{value}"), ("pageSize", "10"), ("expand[]", "billto")]
    return (
        call(
            connection, "GET", "/object-query/accounts", params=params, integration=integration, track_id=track_id
        ).data
        or {}
    ).get("data", [])


def get_account(connection, key: str, *, integration=None, track_id="") -> dict | None:
    try:
        found = call(
            connection, "GET", f"/v1/accounts/{quote(key, safe='')}", integration=integration, track_id=track_id
        )
    except NotFound:
        return None
    return found.data


def create(connection, path: str, body: dict, *, idempotency_key: str, integration=None, track_id="") -> dict:
    """A create (account, invoice, payment), with its idempotency key."""
    return call(
        connection,
        "POST",
        path,
        json_body=body,
        idempotency_key=idempotency_key,
        integration=integration,
        track_id=track_id,
    ).data


def query_records(connection, kind: str, field: str, value: str, *, integration=None, track_id="") -> list[dict]:
    """Invoices or payments whose `field` equals `value` (Object Query): how a write older than Zuora's key window
    finds what it may have made."""
    params = [("filter[]", f"{field}.EQ:{value}"), ("pageSize", "10")]
    answer = call(connection, "GET", f"/object-query/{kind}", params=params, integration=integration, track_id=track_id)
    return (answer.data or {}).get("data", [])
