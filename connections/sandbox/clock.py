"""Time as emulators read it: real, or a fake clock that tests move (`FakeClock`)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


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
