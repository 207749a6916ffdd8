"""What the journal never shows: secret headers, keys and values, masked wherever they appear."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from connections.sandbox.wire import parse_multipart

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
