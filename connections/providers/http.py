"""The one outbound call path: every request to a provider goes through `call()`.

In order: build the URL from the provider's host rules (never from free text), add credentials (refreshing a
token that is about to expire), send with connect and read timeouts, remember the rate-limit headers, turn
the answer into data or a typed error (`connections.providers.errors`), and record an audit event with the
bodies redacted. A 401 triggers one refresh and one retry. Provider quirks (errors inside HTTP 200, a 429 in
plain text, HTML error pages) are handled here or in the provider's client hooks (`error_in_body`,
`api_token_headers`). Whoever keeps something alive while its calls go on (the sync engine's job lease, a
writer's lock) registers a `heartbeat`, run before each request and after each answer.
"""

import base64
import contextlib
import contextvars
import json
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache

import audit
from connections import registry
from connections.credentials import tokens
from connections.providers.errors import (
    AuthExpired,
    Conflict,
    Invalid,
    NotFound,
    Permanent,
    ProviderError,
    RateLimited,
    Retryable,
    UnsafeHost,
)
from connections.providers.session import retry_after, session

BODY_LIMIT = 4000  # characters of each body kept in the audit event

_heartbeats = contextvars.ContextVar("provider_call_heartbeats", default=())


@contextlib.contextmanager
def heartbeat(beat):
    """Inside this block `beat()` runs before every request and after every answer, before it is recorded: it
    renews what must outlive the calls, and may raise to stop the work (a job taken over by another worker)."""
    token = _heartbeats.set((*_heartbeats.get(), beat))
    try:
        yield
    finally:
        _heartbeats.reset(token)


def beat() -> None:
    for each in _heartbeats.get():
        each()


@dataclass
class Result:
    status: int
    data: object
    headers: dict
    duration_ms: int


def hooks(provider_slug: str):
    """The provider's client module, where its quirks live (None when it has none)."""
    return registry.part(provider_slug, "client")


def build_url(connection, path: str, host: str | None = None) -> str:
    """Base URL from the provider's rules and the connection's addresses, then a path that cannot leave it.

    `host` names one of the provider's hosts; by default the connection's own (`Provider.host_for`).
    """
    provider = registry.provider(connection.provider)
    try:
        base = provider.base_url(host or provider.host_for(connection.addresses), connection.addresses)
    except ValueError as exc:
        raise UnsafeHost(str(exc), provider=connection.provider) from None
    if not path.startswith("/") or path.startswith("//") or "://" in path or "\\" in path:
        raise UnsafeHost(f"{path!r} is not a path on {provider.name}.", provider=connection.provider)
    url = base + path
    if urlsplit(url).netloc != urlsplit(base).netloc:
        raise UnsafeHost(f"{url!r} leaves {base!r}.", provider=connection.provider)
    return url


def auth_headers(connection, access_token: str | None) -> dict:
    """Bearer for OAuth connections; the provider's scheme for API tokens (its client's `api_token_headers`)."""
    if access_token:
        return {"Authorization": f"Bearer {access_token}"}
    if connection.api_token:
        custom = getattr(hooks(connection.provider), "api_token_headers", None)
        if custom:
            return custom(connection)
        user = connection.settings.get("email", "")
        raw = base64.b64encode(f"{user}:{connection.api_token}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}
    raise AuthExpired("This connection has no credentials; connect it again.", provider=connection.provider)


# Provider calls made while a person waits (a disconnect, a Test button) share one budget, well under the web
# worker's timeout: each call's timeouts shrink to what is left of it, and none starts once it is spent.
_deadline: ContextVar[float | None] = ContextVar("provider_deadline", default=None)


@contextmanager
def within(seconds: float):
    """Every provider call inside this block, together, takes at most `seconds`."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def timeouts(connection, method: str, path: str) -> tuple[float, float]:
    """(connect, read) seconds for the next call: the settings, or what is left of the block's budget."""
    connect, read = settings.PROVIDER_CONNECT_TIMEOUT, settings.PROVIDER_READ_TIMEOUT
    end = _deadline.get()
    if end is None:
        return connect, read
    left = end - time.monotonic()
    if left <= 0.05:
        raise Retryable(
            f"{method} {path} was not sent: the time allowed for this page ran out.", provider=connection.provider
        )
    return min(connect, left), min(read, left)


def call(
    connection,
    method: str,
    path: str,
    *,
    host: str | None = None,
    params=None,
    json_body=None,
    data=None,
    headers: dict | None = None,
    integration=None,
    audit_kind: str = "api.call",
) -> Result:
    """One API call as `connection`; returns the parsed body or raises a ProviderError subclass."""
    url = build_url(connection, path, host)
    access_token = tokens.access_token_for(connection)
    for attempt in (1, 2):
        request_headers = {"Accept": "application/json", **(headers or {}), **auth_headers(connection, access_token)}
        beat()
        limits = timeouts(connection, method, path)
        started = time.monotonic()
        response, error = None, None
        try:
            response = session().request(
                method,
                url,
                params=params,
                json=json_body,
                data=data,
                headers=request_headers,
                timeout=limits,
                allow_redirects=False,
            )
            result = interpret(connection, response, started)
        except requests.Timeout:
            error = Retryable(f"{method} {path} timed out.", provider=connection.provider)
        except requests.ConnectionError as exc:
            error = Retryable(f"{method} {path} could not connect: {type(exc).__name__}.", provider=connection.provider)
        except ProviderError as exc:
            error = exc
        beat()
        record_call(
            connection,
            method,
            url,
            params,
            json_body or data,
            response,
            error,
            started,
            integration,
            audit_kind,
            traced(request_headers, response),
        )
        if error is None:
            return result
        if response is not None and response.status_code == 401 and attempt == 1 and access_token:
            access_token = tokens.refresh(connection, stale_access_token=access_token, reason="the provider said 401")
            continue
        raise error
    raise AssertionError("unreachable")


def interpret(connection, response: requests.Response, started: float) -> Result:
    duration_ms = int((time.monotonic() - started) * 1000)
    remember_rate_limit(connection, response)
    body = parse_body(response)
    provider = connection.provider
    status = response.status_code
    quirk = getattr(hooks(provider), "error_in_body", None)
    if quirk is not None:
        embedded = quirk(status, body)
        if embedded is not None:
            raise embedded
    if 200 <= status < 300:
        return Result(status, body, dict(response.headers), duration_ms)
    message = describe(status, body)
    if status == 429:
        raise RateLimited(message, retry_after=retry_after(response), status=status, provider=provider, details=body)
    if status == 401:
        raise AuthExpired(message, status=status, provider=provider, details=body)
    if status == 404:
        raise NotFound(message, status=status, provider=provider, details=body)
    if status == 409 or (isinstance(body, dict) and body.get("error") == "DuplicateValue"):
        raise Conflict(message, status=status, provider=provider, details=body)
    if status in (400, 422):
        raise Invalid(message, status=status, provider=provider, details=body)
    if status in (408, 425) or status >= 500:
        raise Retryable(message, status=status, provider=provider, details=body)
    raise Permanent(message, status=status, provider=provider, details=body)


def parse_body(response: requests.Response):
    if not response.content:
        return None
    content_type = response.headers.get("Content-Type", "")
    if "json" in content_type:
        try:
            return response.json()
        except ValueError:
            return response.text
    return response.text  # whole (Zuora's describe is XML); the audit event keeps BODY_LIMIT of it


def describe(status: int, body) -> str:
    """A short, human sentence for an error answer, whatever shape the provider gave it."""
    detail = ""
    if isinstance(body, dict):
        detail = body.get("error_description") or body.get("description") or body.get("message") or ""
        error = body.get("error")
        if isinstance(error, dict):
            detail = detail or error.get("message") or error.get("title") or ""
        elif isinstance(error, str) and not detail:
            detail = error
        details = body.get("details")
        if isinstance(details, dict):  # per field: {"name": [{"description": "Name: X has already been taken"}]}
            described = [
                item.get("description", "")
                for items in details.values()
                if isinstance(items, list)
                for item in items
                if isinstance(item, dict)
            ]
            extra = "; ".join(d for d in described if d) or json.dumps(details)[:300]
            detail = f"{detail} ({extra})" if detail else extra
    elif isinstance(body, str):
        if body.lstrip().lower().startswith(("<!doctype", "<html")):
            detail = "the provider answered with an HTML error page"
        else:
            detail = body.strip()[:300]
    return f"HTTP {status}" + (f": {detail}" if detail else "")


def remember_rate_limit(connection, response: requests.Response) -> None:
    """Keep the provider's last word on our budget, for the engine's rate limiter (a provider's client may
    read its own header: `rate_limit_of`)."""
    headers = response.headers
    own = getattr(hooks(connection.provider), "rate_limit_of", None)
    if own is not None:
        found = own(headers)
        if found is not None:
            cache.set(
                f"ratelimit:{connection.uuid}", {**found, "at": time.time()}, timeout=found.get("window_seconds", 300)
            )
        return
    limit = headers.get("x-rate-limit") or headers.get("ratelimit-limit") or headers.get("X-RateLimit-Limit")
    remaining = headers.get("x-rate-limit-remaining") or headers.get("ratelimit-remaining")
    remaining = remaining or headers.get("X-RateLimit-Remaining")
    if limit is None and remaining is None:
        return
    cache.set(
        f"ratelimit:{connection.uuid}",
        {"limit": limit, "remaining": remaining, "reset": headers.get("ratelimit-reset"), "at": time.time()},
        timeout=300,
    )


def truncated(body):
    text = body if isinstance(body, str) else json.dumps(body, default=str)
    return body if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "…"


# Headers that tie a call to the provider's own records (never a credential): kept on the timeline, so a person
# can quote them to the provider's support or see which idempotency key a create carried.
TRACE_HEADERS = ("Idempotency-Key", "Zuora-Track-Id", "Zuora-Request-Id", "X-Request-Id", "X-Sfdc-Request-Id")


def traced(request_headers: dict, response) -> dict:
    sent = {name: request_headers[name] for name in TRACE_HEADERS if request_headers.get(name)}
    received = response.headers if response is not None else {}
    return {**sent, **{name: received[name] for name in TRACE_HEADERS if received.get(name) and name not in sent}}


def record_call(connection, method, url, params, request_body, response, error, started, integration, kind, trace=None):
    status = response.status_code if response is not None else None
    duration_ms = int((time.monotonic() - started) * 1000)
    path = urlsplit(url).path
    if error is None:
        message, level = f"{method} {path}: HTTP {status} in {duration_ms} ms", "info"
    else:
        message = f"{method} {path} failed ({error.kind}): {error.message}"
        level = "warning" if error.retryable else "error"
    body = None
    if response is not None:
        parsed = parse_body(response)
        body = truncated(parsed) if parsed is not None else None
    audit.record(
        kind,
        tenant=connection.tenant,
        connection=connection,
        integration=integration,
        level=level,
        message=message,
        data={
            "method": method,
            "url": url.split("?")[0],
            "params": params or {},
            "status": status,
            "duration_ms": duration_ms,
            "request_body": truncated(request_body) if request_body is not None else None,
            "response_body": body,
            "error": error.kind if error else None,
            **({"trace": trace} if trace else {}),
        },
    )
