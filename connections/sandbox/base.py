"""The emulator framework: how to write the sandbox twin of a provider's API.

An emulator is a plain Python object that answers HTTP requests from memory. It knows nothing of Django
views, WSGI or `responses`; two small transports serve it (`connections.sandbox.testing` routes `requests`
calls to it in process for unit tests, `connections.sandbox.server` hosts every emulator on one local HTTP
server for the demo and end-to-end tests), so both run exactly the same code.

Writing one (`connections/providers/<slug>/emulator/`, routes, state and control split into modules)::

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
  held connections (timeouts), answers lost after the call was processed (`lost_answers`);
  `too_many_requests_response()` and `error_response()` shape their bodies.
- `self.outbox` (`connections.sandbox.webhooks.Outbox`): signed webhook deliveries with delay, retries,
  disable-after-failures and drop/duplicate/reorder faults.
- helpers used by emulators that need them: `connections.sandbox.oauth.OAuthServer` (codes, access tokens with
  a TTL, single-use rotating refresh tokens, expire/revoke) and `connections.sandbox.ratelimit.RateLimiter`.
- the control API (reset, journal, faults, tokens, outbox) under `/_sandbox/<slug>/api/`; `@control` adds
  provider actions (create records, fire events) and `page_forms()` puts them on the emulator's HTML page.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from connections.sandbox.clock import Clock, FakeClock
from connections.sandbox.faults import Faults
from connections.sandbox.journal import Journal, JournalEntry
from connections.sandbox.masking import (
    SECRET_HEADERS,
    SECRET_KEYS,
    mask,
    mask_body,
    mask_data,
    mask_header,
    mask_query,
    mask_url,
)
from connections.sandbox.routing import Route, _collect, compile_pattern, control, route
from connections.sandbox.webhooks import Outbox
from connections.sandbox.wire import Headers, HttpError, Request, Response, parse_multipart

__all__ = [
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "Clock",
    "Emulator",
    "FakeClock",
    "Faults",
    "FormField",
    "Headers",
    "HttpError",
    "Journal",
    "JournalEntry",
    "PageForm",
    "Request",
    "Response",
    "Route",
    "compile_pattern",
    "control",
    "mask",
    "mask_body",
    "mask_data",
    "mask_header",
    "mask_query",
    "mask_url",
    "parse_multipart",
    "route",
]


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
        provider carries under a key of its own, such as a webhook's `authentication.data.value`."""
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
                    lose = self._loses_answer(request)
                    response = self._dispatch(request, self.routes, self.not_found_response)
                    if lose:
                        note = f"fault: answer lost after HTTP {response.status}"
                        response = Response(504, b"", {}, hold=self.faults.timeout_seconds)
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

    def _loses_answer(self, request: Request) -> bool:
        """Whether this call is processed and its answer then dropped (the `lost_answers` fault)."""
        faults = self.faults
        if faults.lost_answers <= 0 or (faults.path_contains and faults.path_contains not in request.path):
            return False
        faults.lost_answers -= 1
        return True

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
