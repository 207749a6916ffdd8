"""Pacing: how long a job waits before its next attempt, and how a connection is kept within its rate limit.

`RateLimited` pauses the whole connection until its wait has passed (every job of it waits, not only the one
that was refused); a proactive budget per connection and window keeps us under the provider's published limit.
"""

import random

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

import audit
from connections import registry
from connections.models import Connection

# Seconds before attempt n+1 (Svix-like: seconds, then minutes, then hours; about a day in all).
RETRY_SCHEDULE = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800, 36000)


def backoff(attempt: int, retry_after: float | None = None) -> float:
    base = RETRY_SCHEDULE[min(max(attempt, 1) - 1, len(RETRY_SCHEDULE) - 1)]
    delay = base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
    return max(delay, retry_after or 0)


# A pause this long is news for people (a provider's daily allocation spent), not a blip: it is said in the
# audit log and shown on the connection until it ends.
ALERT_AFTER_SECONDS = 300


def pause_of(connection: Connection) -> dict | None:
    """{"until": timestamp, "reason": words} while the connection's calls are paused, else None."""
    found = cache.get(f"paused:{connection.uuid}")
    if isinstance(found, (int, float)):
        found = {"until": found, "reason": ""}
    return found if found and found["until"] > timezone.now().timestamp() else None


def paused_until(connection: Connection) -> float | None:
    found = pause_of(connection)
    return found["until"] if found else None


def pause(connection: Connection, seconds: float, reason: str = "") -> None:
    was_paused = pause_of(connection) is not None
    until = timezone.now().timestamp() + seconds
    cache.set(f"paused:{connection.uuid}", {"until": until, "reason": reason}, timeout=int(seconds) + 5)
    if seconds >= ALERT_AFTER_SECONDS and not was_paused:
        audit.record(
            "connection.paused",
            tenant=connection.tenant,
            connection=connection,
            level="error",
            message=f"Calls to {connection.label} are paused for {seconds / 60:.0f} min: {reason} Jobs wait and "
            "resume by themselves.",
            data={"until": until},
        )


# How long to wait when the provider's own figure says our share of its allocation is spent.
RESERVE_WAIT_SECONDS = 900


def reserve_wait(connection: Connection) -> float:
    """0, or seconds to wait when the provider's last answer said less than the reserve is left.

    Some allocations are the whole account's, shared with its other integrations (Salesforce's daily API
    requests): we use at most `SYNC_RATE_BUDGET_FRACTION` of them and leave the rest to everyone else.
    """
    known = cache.get(f"ratelimit:{connection.uuid}") or {}
    try:
        limit, remaining = int(known["limit"]), int(known["remaining"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    if timezone.now().timestamp() - float(known.get("at") or 0) > RESERVE_WAIT_SECONDS:
        return 0.0  # an old reading: let a call through, and its answer says how things stand now
    reserve = limit * (1 - settings.SYNC_RATE_BUDGET_FRACTION)
    if not known.get("window_seconds") or remaining > reserve:
        return 0.0
    return float(min(RESERVE_WAIT_SECONDS, known.get("reset_seconds") or RESERVE_WAIT_SECONDS))


def take_budget(connection: Connection) -> float:
    """Proactive rate limit (fixed window in the shared cache): 0 to go on, else seconds to wait."""
    reserved = reserve_wait(connection)
    if reserved:
        return reserved
    limits = registry.provider(connection.provider).rate_limits
    if not limits:
        return 0.0
    limit = limits[0]
    budget = max(1, int(limit.requests * settings.SYNC_RATE_BUDGET_FRACTION))
    window = int(timezone.now().timestamp() // limit.per_seconds)
    key = f"budget:{connection.uuid}:{window}"
    cache.add(key, 0, timeout=limit.per_seconds * 2)
    try:
        used = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=limit.per_seconds * 2)
        used = 1
    if used <= budget:
        return 0.0
    return (window + 1) * limit.per_seconds - timezone.now().timestamp()
