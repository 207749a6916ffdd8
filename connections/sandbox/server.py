"""One local HTTP server hosting every emulator: `python manage.py sandbox --port 8765`.

    /<slug>/...                    the emulated API (`/<slug>/{subdomain}/...`: hosts' sandbox_path)
    /_sandbox/                     index of emulators
    /_sandbox/<slug>/              the emulator's page: forms (create a client, an invoice...), faults, journal
    /_sandbox/<slug>/api/<action>  the JSON control API (state, reset, journal, faults, config, tokens,
                                   outbox, and each emulator's own actions such as records/<kind> or events)

A pump thread sends due webhooks every `pump_interval` seconds. The server is a threaded stdlib WSGI server
bound to loopback by default: it is a development tool, never a production service.
"""

from __future__ import annotations

import logging
import threading
import time
from socketserver import ThreadingMixIn
from urllib.parse import urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from connections.sandbox import pages
from connections.sandbox.base import Emulator, Request, Response
from connections.sandbox.hosts import match_sandbox_path

REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    302: "Found",
    303: "See Other",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
MAX_BODY = 10 * 1024 * 1024
logger = logging.getLogger(__name__)


class SandboxApp:
    """The WSGI application; `max_hold` caps how long a timeout fault holds a real connection."""

    def __init__(self, emulators: dict[str, Emulator], *, max_hold: float = 60.0):
        self.emulators = emulators
        self.max_hold = max_hold

    def __call__(self, environ, start_response):
        response = self.respond(environ)
        if response.hold:
            time.sleep(min(response.hold, self.max_hold))
        status = f"{response.status} {REASONS.get(response.status, 'Status')}"
        headers = [(k, str(v)) for k, v in response.headers.items() if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(response.body))))
        start_response(status, headers)
        return [response.body]

    def respond(self, environ) -> Response:
        path = environ.get("PATH_INFO", "/") or "/"
        method = environ["REQUEST_METHOD"].upper()
        base = f"{environ['wsgi.url_scheme']}://{environ.get('HTTP_HOST') or environ['SERVER_NAME']}"
        if path in ("/", "/_sandbox", "/_sandbox/"):
            return Response.html(pages.index(self.emulators))
        parts = path.strip("/").split("/")
        if parts[0] == "_sandbox":
            emulator = self.emulators.get(parts[1])
            if emulator is None:
                return Response.json({"error": f"No emulator {parts[1]!r}."}, 404)
            return self.sandbox_view(emulator, method, parts[2:], environ)
        emulator = self.emulators.get(parts[0])
        if emulator is None:
            return Response.json({"error": f"No emulator at /{parts[0]}/."}, 404)
        rest = path[len(parts[0]) + 1 :]
        matched = match_sandbox_path(emulator.provider, rest)
        if matched is None:
            return Response.json({"error": "No host matches this path."}, 404)
        values, prefix, api_path = matched
        request = self.build_request(environ, method, api_path)
        request.host = values
        request.base_url = f"{base}/{emulator.slug}{prefix}"
        return emulator.handle(request)

    def sandbox_view(self, emulator: Emulator, method: str, parts: list[str], environ) -> Response:
        if not parts or parts == [""]:
            return Response.html(pages.emulator_page(emulator, environ.get("QUERY_STRING", "")))
        if parts == ["journal"]:
            return Response.html(pages.journal_table(emulator))
        if parts[0] == "api":
            return emulator.handle_control(self.build_request(environ, method, "/".join(parts[1:])))
        if parts[0] == "ui" and method == "POST":
            action = "/".join(parts[1:])
            answer = emulator.handle_control(self.build_request(environ, "POST", action))
            message = f"{action}: {answer.status} {answer.body.decode(errors='replace')[:300]}"
            return Response.redirect(f"/_sandbox/{emulator.slug}/?{urlencode({'msg': message})}", 303)
        return Response.json({"error": "Not found."}, 404)

    @staticmethod
    def build_request(environ, method: str, path: str) -> Request:
        headers = {
            key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(min(length, MAX_BODY)) if length else b""
        return Request(method, path, environ.get("QUERY_STRING", ""), headers, body)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        """The journal is the log; stderr stays readable beside runserver and the worker."""


class SandboxServer:
    """The server and its webhook pump, started in threads: for the command and for tests."""

    def __init__(self, emulators: dict[str, Emulator], host: str = "127.0.0.1", port: int = 0, pump_interval=0.2):
        self.emulators = emulators
        self.app = SandboxApp(emulators)
        self.httpd = make_server(host, port, self.app, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
        self.pump_interval = pump_interval
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        # A short poll interval makes stop() quick (tests start and stop a server each).
        serve = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        pump = threading.Thread(target=self._pump, daemon=True, name="sandbox-webhook-pump")
        for thread in (serve, pump):
            thread.start()
            self._threads.append(thread)
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until `stop()` (or the timeout); Ctrl-C interrupts it."""
        return self._stop.wait(timeout)

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _pump(self) -> None:
        while not self._stop.wait(self.pump_interval):
            for emulator in self.emulators.values():
                try:
                    emulator.outbox.deliver_due()
                except Exception:
                    logger.exception("Webhook pump of the %s emulator failed", emulator.slug)
