"""The emulator framework: how to write the sandbox twin of a provider's API.

An emulator is a plain Python object that answers HTTP requests from memory. It knows nothing of Django
views, WSGI or `responses`; two small transports serve it (`connections.sandbox.testing` routes `requests`
calls to it in process for unit tests, `connections.sandbox.server` hosts every emulator on one local HTTP
server for the demo and end-to-end tests), so both run exactly the same code.

Writing one (`connections/providers/<slug>/emulator.py`)::

    from connections.sandbox import Emulator, HttpError, Response, control, route
    from connections.providers.acme import PROVIDER

    class AcmeEmulator(Emulator):
        provider = PROVIDER                    # slug, and the hosts requests arrive on
        title = "Acme"
        DEFAULT_CONFIG = {"page_size": 25}     # provider choices the notes could not confirm live here

        def initial_state(self):               # everything reset() throws away
            return {"widgets": {}}

        @route("GET", "/api/widgets/{widget_id:int}")
        def get_widget(self, request, widget_id):
            widget = self.state["widgets"].get(widget_id) or self.not_found()
            return Response.json({"widget": widget})

        @control("POST", "records/widget")     # the JSON control API and the sandbox page call these
        def create_widget(self, request):
            ...

    EMULATOR = AcmeEmulator                    # how the sandbox registry finds it

What the base class gives every emulator:

- routing: `@route(method, pattern)`; `{name}` matches one path segment, `{name:int}` an integer, `{name:path}`
  the rest; a pattern ending in `/?` accepts an optional trailing slash. 404 and 405 answers go through
  `not_found_response()` / `error_response()`, which an emulator overrides to speak its provider's error style.
- state: `self.state` (from `initial_state()`; `on_reset()` builds helpers and seeds data), `self.config`
  (DEFAULT_CONFIG merged with overrides), one re-entrant lock around every request, `reset()` to start again,
  `self.clock` (inject a `FakeClock` in tests: nothing sleeps for real unless a real clock is given).
- the journal (`self.journal`): every request and every outbound webhook attempt, with secrets masked.
- faults (`self.faults`): latency, a fraction of calls failing with 5xx, 429 for a while with Retry-After,
  held connections (timeouts); `too_many_requests_response()` and `error_response()` shape their bodies.
- `self.outbox` (`connections.sandbox.webhooks.Outbox`): signed webhook deliveries with delay, retries,
  disable-after-failures and drop/duplicate/reorder faults.
- helpers used by emulators that need them: `connections.sandbox.oauth.OAuthServer` (codes, access tokens with
  a TTL, single-use rotating refresh tokens, expire/revoke) and `connections.sandbox.ratelimit.RateLimiter`.
- the control API (reset, journal, faults, tokens, outbox) under `/_sandbox/<slug>/api/`; `@control` adds
  provider actions (create records, fire events) and `page_forms()` puts them on the emulator's HTML page.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Clock ---------------------------------------------------------------------------------------------


class Clock:
    """Real time. Emulators read time only through their clock so tests can move it."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)


class FakeClock(Clock):
    """A clock that only moves when told; `sleep` advances it instead of waiting."""

    def __init__(self, start: float | datetime = 1_767_225_600.0):  # 2026-01-01T00:00:00Z
        self._now = start.timestamp() if isinstance(start, datetime) else float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, seconds)


# Secrets -------------------------------------------------------------------------------------------

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"})
SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "client_secret",
        "code",
        "password",
        "verifier",
        "code_verifier",
        "secret",
        "signing_secret",
        "token",
        "api_token",
    }
)


def mask(value: Any) -> str:
    """A secret as the journal shows it: enough to tell two apart, never enough to use one."""
    text = str(value)
    if not text:
        return text
    return f"***{text[-4:]}" if len(text) >= 20 else "***"


_SECRET_HEADER_WORDS = ("token", "secret", "api-key", "password")


def mask_header(name: str, value: str) -> str:
    lower = name.lower()
    if lower not in SECRET_HEADERS and not any(word in lower for word in _SECRET_HEADER_WORDS):
        return value
    scheme, _, credentials = value.partition(" ")
    return f"{scheme} {mask(credentials)}" if credentials else mask(value)


def mask_data(data: Any) -> Any:
    """Masks secret keys anywhere in a JSON-like structure."""
    if isinstance(data, dict):
        return {
            k: mask(v) if k.lower() in SECRET_KEYS and v not in (None, "") else mask_data(v) for k, v in data.items()
        }
    if isinstance(data, list):
        return [mask_data(v) for v in data]
    return data


def mask_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, mask(v) if k.lower() in SECRET_KEYS and v else v) for k, v in pairs])


def mask_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=mask_query(parts.query))) if parts.query else url


def mask_body(body: bytes, content_type: str) -> str:
    """A request or response body as text, secrets masked, whatever its encoding."""
    if not body:
        return ""
    text = body.decode("utf-8", errors="replace")
    ctype = content_type.split(";")[0].strip().lower()
    if ctype.endswith("json") or (not ctype and text[:1] in "{["):
        try:
            return json.dumps(mask_data(json.loads(text)))
        except ValueError:
            return text
    if ctype == "application/x-www-form-urlencoded":
        return mask_query(text)
    if ctype == "multipart/form-data":
        fields = parse_multipart(body, content_type)
        return "multipart: " + mask_query(urlencode(fields))
    return text


# Requests and responses ----------------------------------------------------------------------------


class Headers(dict):
    """Case-insensitive header lookup on a plain dict."""

    def get(self, name: str, default: Any = None) -> Any:
        lower = name.lower()
        for key, value in self.items():
            if key.lower() == lower:
                return value
        return default


def parse_multipart(body: bytes, content_type: str) -> list[tuple[str, str]]:
    message = message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body, policy=HTTP)
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            fields.append((name, payload.decode("utf-8", errors="replace")))
    return fields


@dataclass
class Request:
    """One request as an emulator sees it: the path is relative to the provider host it was sent to."""

    method: str
    path: str
    query_string: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    # Values read from the host, e.g. {"subdomain": "acme"} for https://acme.zendesk.com.
    host: dict = field(default_factory=dict)
    # The externally visible base URL the request came in on, for links and form actions.
    base_url: str = ""
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        self.method = self.method.upper()
        if not isinstance(self.headers, Headers):
            self.headers = Headers(self.headers or {})

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    def arg(self, name: str, default: str | None = None) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return default

    def args(self, name: str) -> list[str]:
        return [value for key, value in self.query if key == name]

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "") or ""

    def json(self) -> Any:
        """The body as JSON; a malformed body is the client's fault (400)."""
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except ValueError:
            raise HttpError(
                Response.json({"error": "invalid_json", "message": "Body is not valid JSON."}, 400)
            ) from None

    def form_pairs(self) -> list[tuple[str, str]]:
        ctype = self.content_type.split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            return parse_multipart(self.body, self.content_type)
        return parse_qsl(self.body.decode("utf-8", errors="replace"), keep_blank_values=True)

    def data(self) -> dict:
        """Fields of a JSON, form-encoded or multipart body, whichever the client sent."""
        ctype = self.content_type.split(";")[0].strip().lower()
        if ctype.endswith("json"):
            data = self.json()
            return data if isinstance(data, dict) else {}
        return dict(self.form_pairs())


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    # Seconds the transport holds the connection before giving up (a timeout fault): `responses` raises a
    # timeout at once, the HTTP server waits (capped) and answers 504.
    hold: float = 0.0

    @classmethod
    def json(
        cls, data: Any, status: int = 200, headers: dict | None = None, content_type: str = "application/json"
    ) -> Response:
        return cls(status, json.dumps(data).encode(), {"Content-Type": content_type, **(headers or {})})

    @classmethod
    def text(cls, text: str, status: int = 200, headers: dict | None = None) -> Response:
        return cls(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8", **(headers or {})})

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Response:
        return cls(status, b"", {"Location": location})

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status, b"", {})

    @property
    def content_type(self) -> str:
        return Headers(self.headers).get("Content-Type", "") or ""

    def data(self) -> Any:
        return json.loads(self.body) if self.body else None


class HttpError(Exception):
    """Raised anywhere in a handler to answer with `response` at once."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


# Routing -------------------------------------------------------------------------------------------

_CONVERTERS = {"str": r"[^/]+", "int": r"\d+", "path": r".+"}
_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    regex: re.Pattern
    converters: dict
    handler_name: str
    locked: bool = True

    def match(self, path: str) -> dict | None:
        m = self.regex.fullmatch(path)
        if not m:
            return None
        return {k: int(v) if self.converters[k] == "int" else v for k, v in m.groupdict().items()}


def compile_pattern(pattern: str) -> tuple[re.Pattern, dict]:
    optional_slash = pattern.endswith("/?")
    body = pattern[:-2] if optional_slash else pattern
    converters: dict[str, str] = {}
    regex, last = "", 0
    for m in _PLACEHOLDER.finditer(body):
        name, kind = m.group(1), m.group(2) or "str"
        converters[name] = kind
        regex += re.escape(body[last : m.start()]) + f"(?P<{name}>{_CONVERTERS[kind]})"
        last = m.end()
    regex += re.escape(body[last:]) + ("/?" if optional_slash else "")
    return re.compile(regex), converters


def route(method: str, pattern: str) -> Callable:
    """Marks an emulator method as the handler of `method pattern` on the provider's API."""
    return _mark("_sandbox_routes", method, pattern)


def control(method: str, pattern: str, *, locked: bool = True) -> Callable:
    """Marks an emulator method as a control action under `/_sandbox/<slug>/api/<pattern>`.

    Actions run under the emulator's lock unless `locked=False` (those that make outbound calls, which must
    not block the emulator while a receiver calls back into it).
    """
    return _mark("_sandbox_controls", method, pattern, locked)


def _mark(attribute: str, method: str, pattern: str, locked: bool = True) -> Callable:
    def decorator(fn):
        getattr(fn, attribute, None) or setattr(fn, attribute, [])
        getattr(fn, attribute).append((method.upper(), pattern, locked))
        return fn

    return decorator


def _collect(cls, attribute: str) -> list[Route]:
    routes, seen = [], set()
    for klass in cls.__mro__:
        for name, fn in vars(klass).items():
            if name in seen:
                continue
            seen.add(name)
            for method, pattern, locked in getattr(fn, attribute, ()):
                regex, converters = compile_pattern(pattern)
                routes.append(Route(method, pattern, regex, converters, name, locked))
    return routes


# Journal -------------------------------------------------------------------------------------------


@dataclass
class JournalEntry:
    id: int
    at: str
    kind: str  # "request" (received by the emulator) or "delivery" (a webhook attempt it made)
    method: str
    url: str
    headers: dict
    body: str
    status: int | None = None
    response_headers: dict = field(default_factory=dict)
    response_body: str = ""
    duration_ms: float = 0.0
    note: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


class Journal:
    """The emulator's memory of every exchange, newest last, with secrets masked on the way in."""

    def __init__(self, clock: Clock, maxlen: int = 2000):
        self.clock = clock
        self._entries: deque[JournalEntry] = deque(maxlen=maxlen)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def record(
        self,
        kind: str,
        method: str,
        url: str,
        headers: dict,
        body: bytes,
        *,
        response: Response | None = None,
        duration_ms: float = 0.0,
        note: str = "",
        extra: dict | None = None,
    ) -> JournalEntry:
        content_type = Headers(headers).get("Content-Type", "") or ""
        entry = JournalEntry(
            id=0,
            at=self.clock.utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            kind=kind,
            method=method,
            url=mask_url(url),
            headers={k: mask_header(k, v) for k, v in headers.items()},
            body=mask_body(body, content_type),
            note=note,
            duration_ms=round(duration_ms, 3),
            extra=mask_data(extra or {}),
        )
        if response is not None:
            entry.status = response.status
            entry.response_headers = {
                k: mask_url(v) if k.lower() == "location" else mask_header(k, v) for k, v in response.headers.items()
            }
            entry.response_body = mask_body(response.body, response.content_type)
        with self._lock:
            entry.id = next(self._ids)
            self._entries.append(entry)
        return entry

    def entries(self, *, kind: str | None = None, since: int = 0) -> list[JournalEntry]:
        with self._lock:
            return [e for e in self._entries if e.id > since and (kind is None or e.kind == kind)]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


# Faults --------------------------------------------------------------------------------------------


@dataclass
class Faults:
    """Misbehaviour on demand. Only calls whose path contains `path_contains` (when set) are affected."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    rate_limited_until: float = 0.0
    retry_after: int = 30
    timeouts: int = 0  # the next N calls hold the connection
    timeout_seconds: float = 30.0
    path_contains: str = ""

    FIELDS = ("latency_ms", "error_rate", "error_status", "retry_after", "timeouts", "timeout_seconds", "path_contains")

    def update(self, changes: dict, now: float) -> None:
        """Applies control-API changes; `rate_limit_seconds` starts a 429 window from `now`."""
        unknown = set(changes) - set(self.FIELDS) - {"rate_limit_seconds"}
        if unknown:
            raise ValueError(f"Unknown fault(s): {', '.join(sorted(unknown))}.")
        for name in self.FIELDS:
            if name in changes:
                current = getattr(self, name)
                setattr(self, name, type(current)(changes[name]))
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate is a fraction between 0 and 1.")
        if "rate_limit_seconds" in changes:
            self.rate_limited_until = now + float(changes["rate_limit_seconds"])

    def describe(self, now: float) -> dict:
        data = {name: getattr(self, name) for name in self.FIELDS}
        data["rate_limited_for"] = max(0.0, round(self.rate_limited_until - now, 3))
        return data


# The emulator --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    default: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label); a select when present


@dataclass(frozen=True)
class PageForm:
    """A form on the emulator's sandbox page; submitting it calls the control action `action` (POST)."""

    action: str
    title: str
    fields: tuple[FormField, ...] = ()
    submit: str = "Create"


class Emulator:
    """Base class of every provider emulator; see the module docstring."""

    provider: Any = None  # the provider package's PROVIDER (slug and hosts)
    title: str = ""
    DEFAULT_CONFIG: dict = {}

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        config: dict | None = None,
        sender: Callable | None = None,
        seed: int | None = None,
    ):
        from connections.sandbox.webhooks import Outbox

        self.clock = clock or Clock()
        self.config = {**self.DEFAULT_CONFIG, **(config or {})}
        self._config_overrides = dict(config or {})
        self.lock = threading.RLock()
        self.random = random.Random(seed)  # noqa: S311 (fault dice, seeded for repeatable tests; not secrets)
        self.journal = Journal(self.clock)
        self.faults = Faults()
        self.outbox = Outbox(self, sender=sender)
        self.routes = _collect(type(self), "_sandbox_routes")
        self.controls = _collect(type(self), "_sandbox_controls")
        self.state = self.initial_state()
        self.on_reset()

    @property
    def slug(self) -> str:
        return self.provider.slug

    @property
    def name(self) -> str:
        return self.title or self.provider.name

    # Hooks an emulator overrides ---------------------------------------------------------------------

    def initial_state(self) -> Any:
        return {}

    def on_reset(self) -> None:
        """Called at construction and after every reset: build OAuth servers, limiters, seed data..."""

    def error_response(self, status: int, message: str) -> Response:
        return Response.json({"error": message}, status)

    def not_found_response(self, request: Request) -> Response:
        return self.error_response(404, f"No route for {request.method} {request.path}.")

    def too_many_requests_response(self, retry_after: int) -> Response:
        return Response.json({"error": "Too many requests."}, 429, headers={"Retry-After": str(retry_after)})

    def page_forms(self) -> list[PageForm]:
        return []

    def on_subscription_disabled(self, subscription: str) -> None:
        """The outbox disabled `subscription` after repeated failures; mirror it in the provider's state."""

    def describe(self) -> dict:
        """A summary of the state for the control API and the page."""
        return {}

    def journal_body(self, request: Request) -> bytes:
        """The request body the journal keeps (masked by key afterwards). Override to hide a secret a
        provider carries under a key of its own, such as Zendesk's webhook `authentication.data.value`."""
        return request.body

    # Helpers for handlers ----------------------------------------------------------------------------

    def not_found(self, message: str = "Not found.") -> Any:
        raise HttpError(self.error_response(404, message))

    def abort(self, response: Response) -> Any:
        raise HttpError(response)

    # Serving -----------------------------------------------------------------------------------------

    def reset(self, config: dict | None = None) -> None:
        """Back to a fresh emulator; `config` replaces the overrides given at construction."""
        with self.lock:
            if config is not None:
                self._config_overrides = dict(config)
            self.config = {**self.DEFAULT_CONFIG, **self._config_overrides}
            self.state = self.initial_state()
            self.journal.clear()
            self.faults = Faults()
            self.outbox.reset()
            self.on_reset()

    def handle(self, request: Request) -> Response:
        """Answers one API request: faults first, then the route, everything journaled."""
        started = time.perf_counter()
        note, delay = "", 0.0
        with self.lock:
            try:
                response, note, delay = self._fault(request)
                if response is None:
                    response = self._dispatch(request, self.routes, self.not_found_response)
            except HttpError as error:
                response = error.response
            except Exception as error:  # an emulator bug must still answer and be journaled
                response = self.error_response(500, "Internal error in the emulator.")
                note = f"emulator error: {type(error).__name__}: {error}"
        self.clock.sleep(delay)  # outside the lock: a slow answer does not stall other callers
        self.journal.record(
            "request",
            request.method,
            request.path + (f"?{request.query_string}" if request.query_string else ""),
            dict(request.headers),
            self.journal_body(request),
            response=response,
            duration_ms=(time.perf_counter() - started) * 1000,
            note=note,
            extra={"host": request.host} if request.host else None,
        )
        return response

    def handle_control(self, request: Request) -> Response:
        """Answers one control-API request (not journaled: the journal is for what the app did)."""
        try:
            return self._dispatch(
                request, self.controls, lambda r: Response.json({"error": f"No control action {r.path}."}, 404)
            )
        except HttpError as error:
            return error.response
        except (ValueError, KeyError, TypeError) as error:
            return Response.json({"error": str(error)}, 400)

    def _fault(self, request: Request) -> tuple[Response | None, str, float]:
        faults = self.faults
        if faults.path_contains and faults.path_contains not in request.path:
            return None, "", 0.0
        delay = faults.latency_ms / 1000
        if faults.timeouts > 0:
            faults.timeouts -= 1
            return Response(504, b"", {}, hold=faults.timeout_seconds), "fault: timeout", delay
        now = self.clock.now()
        if now < faults.rate_limited_until:
            retry_after = max(1, min(faults.retry_after, int(faults.rate_limited_until - now + 0.999)))
            return self.too_many_requests_response(retry_after), "fault: rate limited", delay
        if faults.error_rate and self.random.random() < faults.error_rate:
            return self.error_response(faults.error_status, "Service unavailable."), "fault: server error", delay
        return None, "", delay

    def _dispatch(self, request: Request, routes: Iterable[Route], missing: Callable) -> Response:
        allowed = []
        for candidate in routes:
            params = candidate.match(request.path)
            if params is None:
                continue
            if candidate.method != request.method:
                allowed.append(candidate.method)
                continue
            request.params = params
            handler = getattr(self, candidate.handler_name)
            if not candidate.locked:
                return handler(request, **params)
            with self.lock:
                return handler(request, **params)
        if allowed:
            response = self.error_response(405, "Method not allowed.")
            response.headers["Allow"] = ", ".join(sorted(set(allowed)))
            return response
        return missing(request)

    # The generic control API ---------------------------------------------------------------------------

    @control("GET", "state")
    def control_state(self, request):
        return Response.json(
            {
                "slug": self.slug,
                "name": self.name,
                "config": self.config,
                "faults": self.faults.describe(self.clock.now()),
                "outbox": self.outbox.describe(),
                "state": self.describe(),
            }
        )

    @control("POST", "reset")
    def control_reset(self, request):
        body = request.data()
        self.reset(body.get("config") if isinstance(body, dict) else None)
        return Response.json({"reset": True})

    @control("GET", "journal")
    def control_journal(self, request):
        since = int(request.arg("since", "0") or 0)
        entries = self.journal.entries(kind=request.arg("kind"), since=since)
        limit = int(request.arg("limit", "200") or 200)
        return Response.json({"entries": [e.as_dict() for e in entries[-limit:]]})

    @control("GET", "faults")
    def control_faults(self, request):
        return Response.json(self.faults.describe(self.clock.now()))

    @control("POST", "faults")
    def control_set_faults(self, request):
        body = request.data()
        if body.get("clear"):
            self.faults = Faults()
            body = {k: v for k, v in body.items() if k != "clear"}
        self.faults.update(body, self.clock.now())
        return Response.json(self.faults.describe(self.clock.now()))

    @control("POST", "config")
    def control_config(self, request):
        changes = request.data()
        unknown = set(changes) - set(self.DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"Unknown setting(s): {', '.join(sorted(unknown))}.")
        self.config.update(changes)
        self._config_overrides.update(changes)
        return Response.json(self.config)

    @control("POST", "tokens/{action}")
    def control_tokens(self, request, action):
        oauth = getattr(self, "oauth", None)
        if oauth is None or action not in ("expire", "revoke"):
            return Response.json({"error": "This emulator has no such token action."}, 404)
        token = request.data().get("token") or None
        count = oauth.expire(token) if action == "expire" else oauth.revoke(token)
        return Response.json({action: count})

    @control("GET", "outbox")
    def control_outbox(self, request):
        return Response.json(self.outbox.describe(full=True))

    @control("POST", "outbox/policy")
    def control_outbox_policy(self, request):
        self.outbox.policy.update(request.data())
        return Response.json(self.outbox.describe()["policy"])

    @control("POST", "outbox/deliver", locked=False)
    def control_deliver(self, request):
        body = request.data()
        if body.get("advance") and isinstance(self.clock, FakeClock):
            self.clock.advance(float(body["advance"]))
        return Response.json({"attempted": self.outbox.deliver_due(force=bool(body.get("force")))})
