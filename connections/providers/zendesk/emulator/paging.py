"""Zendesk's cursors: the opaque `page[after]`/`page[before]` cursors of list endpoints, shaped like the live
ones, and the position cursors of the cursor-based incremental exports. Kept apart from the records because
a cursor only encodes a position; which records follow it is the caller's business."""

from __future__ import annotations

import base64
import json
import struct

from connections.providers.zendesk.emulator.errors import invalid_request


def encode_cursor(record_id: int) -> str:
    """An opaque cursor shaped like the live ones: base64 JSON {"o": "id", "v": base64(packed id)}."""
    packed = base64.b64encode(struct.pack("<Q", record_id) + b"\x00").decode()
    return base64.b64encode(json.dumps({"o": "id", "v": packed}, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        data = json.loads(base64.b64decode(cursor, validate=True))
        return struct.unpack("<Q", base64.b64decode(data["v"])[:8])[0]
    except (ValueError, KeyError, TypeError, struct.error):
        raise invalid_request(
            "page[after] or page[before] is not a valid cursor", error="InvalidPaginationParameter"
        ) from None


def encode_export_cursor(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}.{position[1]}".encode()).decode().rstrip("=")


def decode_export_cursor(cursor: str) -> tuple[int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        seconds, _, record = base64.urlsafe_b64decode(padded).decode().partition(".")
        return int(seconds), int(record)
    except (ValueError, UnicodeDecodeError):
        raise invalid_request("cursor is invalid", error="InvalidPaginationParameter") from None


def cursor_page(items: list, *, size: int, after: str | None, before: str | None, key=lambda item: item.id) -> dict:
    """A cursor page over `items` sorted by `key`: {"items", "has_more", "after_cursor", "before_cursor"}."""
    ordered = sorted(items, key=key)
    if after:
        mark = decode_cursor(after)
        remaining = [i for i in ordered if key(i) > mark]
        page = remaining[:size]
        has_more = len(remaining) > size
    elif before:
        mark = decode_cursor(before)
        preceding = [i for i in ordered if key(i) < mark]
        page = preceding[-size:]
        has_more = len(preceding) > size
    else:
        page = ordered[:size]
        has_more = len(ordered) > size
    return {
        "items": page,
        "has_more": has_more,
        "after_cursor": encode_cursor(key(page[-1])) if page else None,
        "before_cursor": encode_cursor(key(page[0])) if page else None,
    }
