"""Serving emulators in process: `requests` calls to a provider's hosts are answered by its emulator.

`Sandbox` installs one `responses` callback per host template (the real one, and the one settings point at
when they differ), so code under test calls the provider's real host as in production and the
emulator answers. The `sandbox` pytest fixture (connections.sandbox.pytest_plugin) builds one with a
`FakeClock`: tests move time with `sandbox.clock.advance(...)` and send due webhooks with `sandbox.deliver()`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests
import responses

from connections.sandbox.base import Emulator, FakeClock, Request, Response
from connections.sandbox.hosts import host_templates, url_pattern

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class Sandbox:
    def __init__(self, emulators: dict[str, Emulator], mock: responses.RequestsMock, clock: FakeClock):
        self.emulators = emulators
        self.mock = mock
        self.clock = clock

    def __getitem__(self, slug: str) -> Emulator:
        return self.emulators[slug]

    def install(self) -> None:
        for emulator in self.emulators.values():
            patterns = []
            for host in emulator.provider.hosts:
                for template in host_templates(emulator.provider, host):
                    if template not in patterns:
                        patterns.append(template)
            for template in patterns:
                pattern = url_pattern(template)
                for method in METHODS:
                    self.mock.add_callback(
                        method, pattern, callback=self._callback(emulator, pattern), content_type=None
                    )

    def _callback(self, emulator: Emulator, pattern):
        def answer(prepared: requests.PreparedRequest):
            m = pattern.match(prepared.url)
            values = {k: v for k, v in m.groupdict().items() if not k.startswith("_")}
            path = m.group("_path") or "/"
            body = prepared.body or b""
            request = Request(
                method=prepared.method,
                path=path,
                query_string=m.group("_query") or "",
                headers=dict(prepared.headers),
                body=body.encode() if isinstance(body, str) else body,
                host=values,
                base_url=prepared.url[: m.start("_path")] if m.group("_path") else prepared.url.split("?")[0],
            )
            response = emulator.handle(request)
            if response.hold:
                return requests.exceptions.ReadTimeout(f"Read timed out (sandbox held {prepared.url}).")
            return response.status, response.headers, response.body

        return answer

    def deliver(self, advance: float = 0.0, *, force: bool = False) -> int:
        """Moves the clock on by `advance` seconds, then sends every due webhook; returns attempts made."""
        self.clock.advance(advance)
        return sum(emulator.outbox.deliver_due(force=force) for emulator in self.emulators.values())

    def send_webhooks_to(self, client) -> None:
        """Delivers webhooks to a Django test client (the app's own views) instead of the network."""
        sender = django_client_sender(client)
        for emulator in self.emulators.values():
            emulator.outbox.sender = sender

    def reset(self) -> None:
        for emulator in self.emulators.values():
            emulator.reset()


def django_client_sender(client):
    """A webhook sender that posts to the app in process through a Django test `Client`."""

    def send(method: str, url: str, headers: dict, body: bytes, timeout: float) -> Response:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        extra = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        answer = client.generic(method, path, data=body, content_type=headers.get("Content-Type", ""), headers=extra)
        return Response(answer.status_code, answer.content, dict(answer.headers))

    return send
