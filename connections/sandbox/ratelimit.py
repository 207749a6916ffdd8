"""A fixed-window rate limiter for emulators that enforce a published limit (per account, per token...)."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from connections.sandbox.base import Clock


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: float  # epoch seconds when the window restarts
    retry_after: int  # whole seconds to wait when refused (0 when allowed)


class RateLimiter:
    def __init__(self, clock: Clock, limit: int, window_seconds: float = 60.0):
        self.clock = clock
        self.limit = limit
        self.window_seconds = window_seconds
        self._windows: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> Decision:
        """Counts one call for `key` and says whether it is within the limit."""
        now = self.clock.now()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window_seconds:
                start, count = now, 0
            reset_at = start + self.window_seconds
            if count >= self.limit:
                return Decision(False, self.limit, 0, reset_at, max(1, math.ceil(reset_at - now)))
            count += 1
            self._windows[key] = (start, count)
            return Decision(True, self.limit, self.limit - count, reset_at, 0)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
