"""Faults on demand: latency, a share of 5xx, a 429 storm with Retry-After, held connections, lost answers.

`timeouts` hold the connection *instead of* answering: the emulator never sees the call. `lost_answers` let the
emulator process the call (a refresh token is spent, a record is written) and then hold the connection, so
the caller times out without the answer: what a read timeout after the provider acted looks like.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Faults:
    """Misbehaviour on demand. Only calls whose path contains `path_contains` (when set) are affected."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    rate_limited_until: float = 0.0
    retry_after: int = 30
    timeouts: int = 0  # the next N calls hold the connection
    lost_answers: int = 0  # the next N calls are processed, then held: their answer never arrives
    timeout_seconds: float = 30.0
    path_contains: str = ""

    FIELDS = (
        "latency_ms",
        "error_rate",
        "error_status",
        "retry_after",
        "timeouts",
        "lost_answers",
        "timeout_seconds",
        "path_contains",
    )

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
