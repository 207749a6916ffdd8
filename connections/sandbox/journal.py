"""The journal: every request an emulator answered and every webhook it sent, secrets masked."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import asdict, dataclass, field

from connections.sandbox.clock import Clock
from connections.sandbox.masking import mask_body, mask_data, mask_header, mask_url
from connections.sandbox.wire import Headers, Response


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
