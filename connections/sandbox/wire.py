"""Requests and responses as emulators see them, whichever transport carries them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email import message_from_bytes
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl


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
    # Values read from the host, e.g. {"subdomain": "acme"} for https://acme.example.com.
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
