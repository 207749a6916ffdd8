"""Salesforce REST calls the flows need, and how Salesforce says things its own way.

Errors come as a JSON array (`[{"message", "errorCode", "fields"}]`), a 300 as an array of record URLs, edge
failures as HTML or nothing; `error_in_body` turns each into our error types with Salesforce's own words. The
daily allocation is read from `Sforce-Limit-Info` on every answer (`rate_limit_of`): it is the org's, shared
with every other integration, so the engine keeps a reserve. Upserts go by external id, so a retry after a
lost answer updates the record it created instead of making a second one.
"""

import re
from datetime import UTC
from urllib.parse import quote

from django.core.cache import cache

from connections.providers import http
from connections.providers.errors import (
    AuthExpired,
    Invalid,
    NotFound,
    Permanent,
    RateLimited,
    Retryable,
    SetupMissing,
    SeveralRecords,
)
from connections.providers.salesforce import API_VERSION, PROVIDER

CLIENT_ID_FIELD = "FreshBooks_Client_Id__c"
INVOICE_ID_FIELD = "FreshBooks_Invoice_Id__c"
# (object, field, what it holds): the External ID fields a customer creates before connecting (README).
EXTERNAL_IDS = (
    ("Account", CLIENT_ID_FIELD, "the FreshBooks client id"),
    ("Opportunity", INVOICE_ID_FIELD, "the FreshBooks invoice id"),
)
COLLECTION_SIZE = 200  # records per sObject Collections call (salesforce.md 2.5)
DAY = 24 * 3600
# Over the daily allocation: Salesforce counts a rolling 24 h, so usage falls gradually; look again then.
LIMIT_WAIT_SECONDS = 1800
LIMIT_INFO = re.compile(r"api-usage=(?P<used>\d+)/(?P<total>\d+)")
TRANSIENT = {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"}


def data_path(path: str) -> str:
    return f"/services/data/{API_VERSION}{path}"


def call(connection, method: str, path: str, **kwargs) -> http.Result:
    """A call on the connection's own instance (its My Domain host form), under the pinned API version."""
    return http.call(connection, method, data_path(path), **kwargs)


# Hooks the shared call path reads ---------------------------------------------------------------------


def rate_limit_of(headers) -> dict | None:
    """{"limit", "remaining"} of the org's daily API requests, from `Sforce-Limit-Info: api-usage=18/5000`."""
    found = LIMIT_INFO.search(headers.get("Sforce-Limit-Info", ""))
    if not found:
        return None
    used, total = int(found["used"]), int(found["total"])
    return {"limit": total, "remaining": max(0, total - used), "window_seconds": DAY}


def error_in_body(status: int, body):
    """Every Salesforce error shape as one of our errors, in Salesforce's words; None for a success."""
    if 200 <= status < 300:
        return None
    if status == 300:
        urls = [u for u in body if isinstance(u, str)] if isinstance(body, list) else []
        ids = [u.rstrip("/").rsplit("/", 1)[-1] for u in urls]
        return SeveralRecords(
            f"Salesforce holds {len(ids) or 'several'} records with this external id ({', '.join(ids)}); "
            "a person must say which one is meant.",
            status=status,
            provider=PROVIDER.slug,
            details=body,
            records=ids,
        )
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    code, message = first.get("errorCode", ""), first.get("message", "")
    if not code:
        page = isinstance(body, str) and body.lstrip().lower().startswith(("<!doctype", "<html"))
        if (page or not body) and (status in (406, 420, 503) or status >= 500):
            # Edge and maintenance pages (Airbyte retries 406, 420 and 503 for the same reason).
            return Retryable(
                f"HTTP {status}: Salesforce answered with an error page.", status=status, provider="salesforce"
            )
        return None
    said = f"HTTP {status} {code}: {message}"
    kwargs = {"status": status, "provider": PROVIDER.slug, "details": body}
    if status == 429:
        return None  # a burst limit, not the daily allocation (a 403): the shared path waits its Retry-After
    if code == "REQUEST_LIMIT_EXCEEDED":
        if "ConcurrentPerOrgLongTxn" in message:
            return Retryable(f"{said} (too many long requests at once in the org; retried shortly)", **kwargs)
        return RateLimited(
            f"{said} The org has used its daily API allocation (shared by all its integrations); syncing "
            "resumes by itself as usage falls, or raise the allocation in Salesforce.",
            retry_after=LIMIT_WAIT_SECONDS,
            **kwargs,
        )
    if code in TRANSIENT:
        return Retryable(said, **kwargs)
    if code == "INVALID_SESSION_ID":
        if "not valid for use with the REST API" in message:
            return AuthExpired(
                f"{said} The External Client App needs the `api` OAuth scope, and its policies must allow this "
                "server (IP relaxation); fix it in Salesforce, then test the connection.",
                **kwargs,
            )
        return AuthExpired(said, **kwargs)
    if code == "NOT_FOUND" and "external ID field does not exist" in message:
        field = message.rsplit(":", 1)[-1].strip()
        return SetupMissing(f"{said}. {setup_advice(field)}", **kwargs)
    missing = next((f for _, f, _ in EXTERNAL_IDS if code == "INVALID_FIELD" and f in message), None)
    if missing:
        return SetupMissing(f"{said}. {setup_advice(missing)}", **kwargs)
    if code in ("NOT_FOUND", "ENTITY_IS_DELETED"):
        return NotFound(said, **kwargs)
    if code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST":
        return Invalid(
            f"{said} (a value the org's picklist does not have: check the stage names on the "
            "integration page against the org's stages)",
            **kwargs,
        )
    if status in (400, 422):
        return Invalid(said, **kwargs)
    if status == 403:
        return Permanent(f"{said} (the integration user lacks a permission for this)", **kwargs)
    return None


def setup_advice(field: str) -> str:
    sobject = next((o for o, f, _ in EXTERNAL_IDS if f == field), "the object")
    return (
        f"Create the custom field {field} on {sobject} in Salesforce Setup (Object Manager > {sobject} > Fields & "
        "Relationships > New: Text(255), tick External ID and Unique), give the integration user access to it, "
        "then run the check again."
    )


# Connection checks ----------------------------------------------------------------------------------


def ping(connection) -> tuple[bool, str]:
    """Describe Account: proves the session, the `api` scope and read access, and feeds the setup check.

    A person who just created the missing field presses Test: what was cached of the schema is read afresh.
    """
    forget_schema(connection)
    problems = setup_problems(connection)  # describes Account, then Opportunity: two calls
    where = connection.addresses.get("my_domain")
    if problems:
        return False, f"Salesforce ({where}) answered, but is not set up yet: " + " ".join(problems)
    return True, f"Salesforce ({where}) answered; Accounts and Opportunities carry the FreshBooks External ID fields."


def describe(connection, sobject: str, *, integration=None) -> dict:
    """An object's describe, cached for an hour per connection (fields change rarely; each read is a call)."""
    key = f"salesforce-describe:{connection.uuid}:{sobject}"
    found = cache.get(key)
    if found is None:
        found = call(connection, "GET", f"/sobjects/{sobject}/describe", integration=integration).data
        cache.set(key, found, timeout=3600)
    return found


def setup_problems(connection, *, integration=None) -> list[str]:
    """What the customer must still create, in words; [] when both External ID fields are in place."""
    problems = []
    for sobject, name, holds in EXTERNAL_IDS:
        fields = {f["name"]: f for f in describe(connection, sobject, integration=integration).get("fields", [])}
        field = fields.get(name)
        if field is None:
            problems.append(f"{sobject} has no field {name} (for {holds}). {setup_advice(name)}")
        elif not field.get("externalId"):
            problems.append(
                f"{sobject}.{name} exists but is not marked External ID, so records cannot be upserted by it: "
                f"edit the field, tick External ID (and Unique), and save."
            )
    return problems


def forget_schema(connection) -> None:
    for sobject in ("Account", "Opportunity", "Invoice", "_global"):
        cache.delete(f"salesforce-describe:{connection.uuid}:{sobject}")


def has_object(connection, name: str, *, integration=None) -> bool:
    """Whether the org has an object (Invoice exists only with Order Management or Billing)."""
    key = f"salesforce-describe:{connection.uuid}:_global"
    names = cache.get(key)
    if names is None:
        body = call(connection, "GET", "/sobjects/", integration=integration).data or {}
        names = [o.get("name") for o in body.get("sobjects", [])]
        cache.set(key, names, timeout=DAY)
    return name in names


def revoke(connection) -> None:
    """On disconnect: revoke the session we hold (the consumer secret is the customer's to rotate)."""
    http.call(
        connection,
        "POST",
        "/services/oauth2/revoke",
        data={"token": connection.access_token},
        audit_kind="connection.revoke",
    )


# Records ---------------------------------------------------------------------------------------------


def quoted(value: str) -> str:
    """A SOQL string literal: quotes and backslashes escaped (names like O'Brien & Sons are common)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def query(connection, soql: str, *, integration=None) -> list[dict]:
    """Every record a SOQL query returns, following `nextRecordsUrl` page by page (2,000 a page)."""
    result = call(connection, "GET", "/query", params={"q": soql}, integration=integration).data
    records = list(result.get("records", []))
    while not result.get("done", True) and result.get("nextRecordsUrl"):
        locator = result["nextRecordsUrl"].rsplit("/", 1)[-1]
        result = call(connection, "GET", f"/query/{quote(locator)}", integration=integration).data
        records += result.get("records", [])
    return [strip(record) for record in records]


def strip(record: dict) -> dict:
    return {k: (strip(v) if isinstance(v, dict) else v) for k, v in record.items() if k != "attributes"}


def upsert(connection, sobject: str, field: str, value, fields: dict, *, integration=None) -> tuple[str, bool]:
    """(record id, created) for the record whose `field` is `value`: created when there is none."""
    path = f"/sobjects/{sobject}/{field}/{quote(str(value), safe='')}"
    result = call(connection, "PATCH", path, json_body=fields, integration=integration)
    body = result.data or {}
    return str(body.get("id", "")), bool(body.get("created", result.status == 201))


def update(connection, sobject: str, record_id: str, fields: dict, *, integration=None) -> None:
    call(
        connection,
        "PATCH",
        f"/sobjects/{sobject}/{quote(record_id, safe='')}",
        json_body=fields,
        integration=integration,
    )


def upsert_many(connection, sobject: str, field: str, records: list[dict], *, integration=None) -> list[dict]:
    """sObject Collections upsert, 200 records a call; one result per record, in order (errors per record)."""
    results = []
    for start in range(0, len(records), COLLECTION_SIZE):
        chunk = [{"attributes": {"type": sobject}, **r} for r in records[start : start + COLLECTION_SIZE]]
        body = {"allOrNone": False, "records": chunk}
        answer = call(
            connection, "PATCH", f"/composite/sobjects/{sobject}/{field}", json_body=body, integration=integration
        )
        results += answer.data or []
    return results


def won_stage(connection, *, integration=None) -> str:
    """The org's won stage (stages are the org's own: never a hard-coded "Closed Won"), cached for a day."""
    key = f"salesforce-won-stage:{connection.uuid}"
    found = cache.get(key)
    if found is None:
        stages = query(
            connection,
            "SELECT ApiName, MasterLabel FROM OpportunityStage "
            "WHERE IsWon = true AND IsClosed = true AND IsActive = true ORDER BY SortOrder",
            integration=integration,
        )
        if not stages:
            raise SetupMissing(
                "This Salesforce org has no active won stage for Opportunities (Setup > Object Manager > "
                "Opportunity > Fields > Stage): add one marked Closed/Won.",
                provider=PROVIDER.slug,
            )
        found = stages[0].get("ApiName") or stages[0]["MasterLabel"]
        cache.set(key, found, timeout=DAY)
    return found


def stages(connection, *, integration=None) -> list[str]:
    """The org's active stage names, for the fit check and the integration page."""
    rows = query(
        connection,
        "SELECT ApiName, MasterLabel FROM OpportunityStage WHERE IsActive = true ORDER BY SortOrder",
        integration=integration,
    )
    return [row.get("ApiName") or row["MasterLabel"] for row in rows]


def query_pages(connection, soql: str, *, integration=None):
    """The pages of a SOQL query one by one (2,000 records each), for walks that must not hold them all."""
    result = call(connection, "GET", "/query", params={"q": soql}, integration=integration).data
    yield [strip(record) for record in result.get("records", [])]
    while not result.get("done", True) and result.get("nextRecordsUrl"):
        locator = result["nextRecordsUrl"].rsplit("/", 1)[-1]
        result = call(connection, "GET", f"/query/{quote(locator)}", integration=integration).data
        yield [strip(record) for record in result.get("records", [])]


def soql_datetime(moment) -> str:
    """A SOQL datetime literal (unquoted, UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def update_many(connection, sobject: str, records: list[dict], *, integration=None) -> list[dict]:
    """sObject Collections update by Id (`id` in each record), 200 records a call; one result per record."""
    results = []
    for start in range(0, len(records), COLLECTION_SIZE):
        chunk = [{"attributes": {"type": sobject}, **r} for r in records[start : start + COLLECTION_SIZE]]
        body = {"allOrNone": False, "records": chunk}
        results += call(connection, "PATCH", "/composite/sobjects", json_body=body, integration=integration).data or []
    return results


def record_error(result: dict):
    """A collection item's failure (`statusCode`, not `errorCode`) as our error type, in Salesforce's words."""
    errors = result.get("errors") or [{}]
    first = errors[0] if isinstance(errors[0], dict) else {}
    body = [{"errorCode": first.get("statusCode", "UNKNOWN_EXCEPTION"), "message": first.get("message", "")}]
    return error_in_body(400, body) or Invalid(f"Salesforce refused the record: {first}", provider=PROVIDER.slug)
