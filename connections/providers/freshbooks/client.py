"""FreshBooks API calls the flows need, and the answers FreshBooks gets wrong in its own way.

Old-style accounting errors arrive even with HTTP 200 (`{"response": {"errors": [...]}}`); newer API
versions send `{"code", "message", "details": [ErrorInfo]}`. Both are parsed; errno 1012 means not found
and 1003 an authorization failure.
"""

from datetime import timedelta

from connections.providers import http
from connections.providers.errors import AuthExpired, Invalid, NotFound, Permanent, SetupMissing
from connections.providers.freshbooks.auth import businesses
from connections.providers.freshbooks.domain import EASTERN

ME_PATH = "/auth/api/v1/users/me"


def error_in_body(status: int, body):
    """A typed error for FreshBooks' error bodies (whatever the HTTP status), else None."""
    if not isinstance(body, dict):
        return None
    errors = (body.get("response") or {}).get("errors") if isinstance(body.get("response"), dict) else None
    if errors:
        first = errors[0] if isinstance(errors[0], dict) else {}
        errno, message = str(first.get("errno", "")), first.get("message", "FreshBooks reported an error.")
    elif "code" in body and "details" in body and status >= 400:
        info = next((d for d in body["details"] if isinstance(d, dict)), {})
        errno = str(info.get("reason", ""))
        message = (info.get("metadata") or {}).get("message") or body.get("message", "")
    else:
        return None
    if errno == "1003" or status == 401:
        return AuthExpired(f"FreshBooks: {message}", status=status, provider="freshbooks", details=body)
    if errno == "1012" or status == 404:
        return NotFound(f"FreshBooks: {message}", status=status, provider="freshbooks", details=body)
    if status >= 500 or status == 429:
        return None  # the generic mapping makes these retryable
    return Invalid(f"FreshBooks: {message}", status=status, provider="freshbooks", details=body)


def ping(connection) -> tuple[bool, str]:
    """users/me: cheap, always allowed, and it says which business this connection reads."""
    me = http.call(connection, "GET", ME_PATH, audit_kind="connection.ping").data or {}
    person = me.get("response") or {}
    account = connection.addresses.get("account_id")
    names = [b["name"] for b in businesses(me) if b["account_id"] == account]
    if account and not names:
        return False, (
            f"Signed in as {person.get('email', 'unknown')}, but that FreshBooks user no longer belongs to the "
            f"connected business ({account}). Reconnect and choose a business."
        )
    where = f" for {names[0]}" if names else ""
    return True, f"FreshBooks answered: signed in as {person.get('email', 'unknown')}{where}."


def updated_min(since) -> str:
    """`search[updated_min]` for changes since an aware datetime.

    FreshBooks filters by day on its naive US/Eastern timestamps, so the day is taken in US/Eastern and one
    more day is added before it: overlapping windows cost a few duplicate events, which dedupe absorbs;
    a gap would lose changes.
    """
    return (since.astimezone(EASTERN).date() - timedelta(days=1)).isoformat()


# Accounting records the flows read (FreshBooks status fields are computed there and only ever read) ------

RESOURCES = {
    "client": ("users", "clients"),
    "invoice": ("invoices", "invoices"),
    "payment": ("payments", "payments"),
    "expense": ("expenses", "expenses"),
}


def accounting_path(connection, kind: str, object_id=None) -> str:
    section, collection = RESOURCES[kind]
    path = f"/accounting/account/{connection.addresses['account_id']}/{section}/{collection}"
    return f"{path}/{int(object_id)}" if object_id is not None else path


def get_record(connection, kind: str, object_id, *, includes=(), integration=None) -> dict | None:
    """One client, invoice, payment or expense (None when FreshBooks has no such record)."""
    params = [("include[]", name) for name in includes]
    try:
        result = http.call(
            connection,
            "GET",
            accounting_path(connection, kind, object_id),
            params=params or None,
            integration=integration,
        )
    except NotFound:
        return None
    return result.data["response"]["result"][kind]


def get_invoice(connection, invoice_id, *, integration=None) -> dict | None:
    """The invoice with its lines (`lines` only comes with include[]=lines)."""
    return get_record(connection, "invoice", invoice_id, includes=("lines",), integration=integration)


def list_records(
    connection,
    kind: str,
    *,
    search: dict | None = None,
    since=None,
    page: int = 1,
    per_page: int = 100,
    integration=None,
) -> tuple[list[dict], bool]:
    """One page of `kind` records, filtered by `search[...]` and changed since `since`; (records, more)."""
    params = {"page": page, "per_page": per_page}
    params.update({f"search[{name}]": value for name, value in (search or {}).items()})
    if since is not None:
        params["search[updated_min]"] = updated_min(since)
    result = http.call(connection, "GET", accounting_path(connection, kind), params=params, integration=integration)
    body = result.data["response"]["result"]
    return body[f"{kind}s"], page < int(body.get("pages") or 1)


def list_all(connection, kind: str, *, search: dict | None = None, integration=None) -> list[dict]:
    """Every `kind` record matching `search`, page by page: FreshBooks answers at most 100 a page, and a
    balance that counts only the first page is wrong for a client with more."""
    records, page, more = [], 1, True
    while more:
        found, more = list_records(connection, kind, search=search, page=page, integration=integration)
        records += found
        page += 1
    return records


def get_project(connection, project_id, *, integration=None) -> dict | None:
    """A project, from the projects service (addressed by the business id, not the account id); None when
    FreshBooks has no such project."""
    business = connection.addresses.get("business_id")
    if not business:
        raise SetupMissing(
            "This FreshBooks connection does not know its business id, which projects are read by: reconnect "
            "FreshBooks and choose the business again.",
            provider="freshbooks",
        )
    path = f"/projects/business/{int(business)}/projects/{int(project_id)}"
    try:
        result = http.call(connection, "GET", path, integration=integration)
    except NotFound:
        return None
    except Permanent as exc:
        if exc.status != 403:
            raise
        raise SetupMissing(
            "FreshBooks did not let ml-connector read projects (the connection was made before it asked for "
            "user:projects:read): reconnect FreshBooks to grant it.",
            status=403,
            provider="freshbooks",
            details=exc.details,
        ) from None
    return (result.data or {}).get("project")
