"""The outbox: webhook deliveries an emulator makes, with the delivery faults real providers show.

An emulator calls `self.outbox.enqueue(url, body, headers, event=..., subscription=..., sign=...)` when
something happens; nothing is sent then. `deliver_due()` sends what is due: the HTTP server's pump thread calls
it continuously, tests call it (or `sandbox.deliver()`) when they want the webhooks to go out. A failed attempt
(non-2xx, timeout, refused) is retried with doubling backoff; after the last retry the delivery fails and,
when `disable_after_failures` is set, enough consecutive failures disable the subscription. Every attempt,
drop and duplicate is journaled with its answer.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields

import requests

from connections.sandbox.masking import mask
from connections.sandbox.wire import Response


@dataclass
class DeliveryPolicy:
    delay_seconds: float = 0.0
    timeout_seconds: float = 10.0
    retries: int = 2  # attempts after the first
    backoff_seconds: float = 5.0  # before the first retry; doubles each time
    disable_after_failures: int = 0  # consecutive failed deliveries that disable a subscription; 0: never
    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    reorder: bool = False  # send due deliveries newest first

    def update(self, changes: dict) -> None:
        known = {f.name: f for f in fields(self)}
        unknown = set(changes) - set(known)
        if unknown:
            raise ValueError(f"Unknown delivery setting(s): {', '.join(sorted(unknown))}.")
        for name, value in changes.items():
            current = getattr(self, name)
            if isinstance(current, bool):
                value = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "on", "yes")
            setattr(self, name, type(current)(value))
        for rate in (self.drop_rate, self.duplicate_rate):
            if not 0.0 <= rate <= 1.0:
                raise ValueError("drop_rate and duplicate_rate are fractions between 0 and 1.")


@dataclass
class Delivery:
    id: int
    url: str
    body: bytes
    headers: dict
    event: str = ""
    subscription: str = ""
    due_at: float = 0.0
    attempts: int = 0
    state: str = "pending"  # pending, sending, delivered, failed, dropped
    last_status: int | None = None
    last_error: str = ""
    sign: Callable | None = field(default=None, repr=False)
    # Headers whose values the journal masks whatever their names (a receiver's own API-key header, say).
    secret_headers: tuple[str, ...] = ()

    def summary(self) -> dict:
        return {
            "id": self.id,
            "url": self.url,
            "event": self.event,
            "subscription": self.subscription,
            "state": self.state,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "due_at": self.due_at,
        }


def requests_sender(method: str, url: str, headers: dict, body: bytes, timeout: float) -> Response:
    """Sends one attempt over the network; redirects are not followed (a provider would not either)."""
    answer = requests.request(method, url, headers=headers, data=body, timeout=timeout, allow_redirects=False)
    return Response(answer.status_code, answer.content, dict(answer.headers))


class Outbox:
    KEEP = 2000  # deliveries remembered; the journal keeps its own bounded history

    def __init__(self, emulator, sender: Callable | None = None):
        self.emulator = emulator
        self.sender = sender or requests_sender
        self.policy = DeliveryPolicy()
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.deliveries: list[Delivery] = []
            self.failures: dict[str, int] = {}
            self.disabled: set[str] = set()
            self._ids = itertools.count(1)
        self.policy = DeliveryPolicy(**self.emulator.config.get("webhook_policy", {}))

    def is_disabled(self, subscription: str) -> bool:
        return subscription in self.disabled

    def enqueue(
        self,
        url: str,
        body: bytes,
        headers: dict | None = None,
        *,
        event: str = "",
        subscription: str = "",
        sign: Callable[[Delivery, float], dict] | None = None,
        delay: float | None = None,
        secret_headers: tuple[str, ...] = (),
    ) -> list[Delivery]:
        """Queues one webhook (two when the duplicate fault fires); `sign(delivery, now)` returns headers
        computed at each attempt, for providers whose signature covers a send timestamp; `secret_headers`
        names headers the journal masks whatever they are called."""
        if subscription and self.is_disabled(subscription):
            return []
        now = self.emulator.clock.now()
        due = now + (self.policy.delay_seconds if delay is None else delay)
        rng = self.emulator.random
        copies = 2 if self.policy.duplicate_rate and rng.random() < self.policy.duplicate_rate else 1
        queued = []
        for copy in range(copies):
            with self._lock:
                delivery = Delivery(
                    next(self._ids),
                    url,
                    body,
                    dict(headers or {}),
                    event,
                    subscription,
                    due,
                    sign=sign,
                    secret_headers=tuple(secret_headers),
                )
                self.deliveries.append(delivery)
                self._prune()
            if self.policy.drop_rate and rng.random() < self.policy.drop_rate:
                delivery.state = "dropped"
                self._journal(delivery, self._headers(delivery, now), None, "fault: dropped, never sent")
                continue
            if copy:
                self._journal(delivery, self._headers(delivery, now), None, "fault: duplicate queued")
            queued.append(delivery)
        return queued

    def _prune(self) -> None:
        """Forgets the oldest finished deliveries so a long demo does not grow without bound (lock held)."""
        excess = len(self.deliveries) - self.KEEP
        if excess <= 0:
            return
        kept = []
        for delivery in self.deliveries:
            if excess > 0 and delivery.state in ("delivered", "failed", "dropped"):
                excess -= 1
                continue
            kept.append(delivery)
        self.deliveries = kept

    def pending(self) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if d.state == "pending"]

    def deliver_due(self, *, force: bool = False) -> int:
        """Sends every pending delivery that is due (all of them with `force`); returns attempts made."""
        now = self.emulator.clock.now()
        with self._lock:
            due = [d for d in self.deliveries if d.state == "pending" and (force or d.due_at <= now)]
            due.sort(key=lambda d: (d.due_at, d.id), reverse=self.policy.reorder)
            for delivery in due:
                delivery.state = "sending"
        for delivery in due:
            self._attempt(delivery)
        return len(due)

    def _headers(self, delivery: Delivery, now: float) -> dict:
        headers = dict(delivery.headers)
        if delivery.sign is not None:
            headers.update(delivery.sign(delivery, now))
        return headers

    def _attempt(self, delivery: Delivery) -> None:
        policy = self.policy
        delivery.attempts += 1
        headers = self._headers(delivery, self.emulator.clock.now())
        started = time.perf_counter()
        answer, error = None, ""
        try:
            answer = self.sender("POST", delivery.url, headers, delivery.body, policy.timeout_seconds)
        except Exception as exc:  # refused, timed out, or the receiver blew up: a failed attempt all the same
            error = f"{type(exc).__name__}: {exc}"
        duration = (time.perf_counter() - started) * 1000
        ok = answer is not None and 200 <= answer.status < 300
        total = policy.retries + 1
        with self._lock:
            delivery.last_status = answer.status if answer is not None else None
            delivery.last_error = error
            if ok:
                delivery.state = "delivered"
                self.failures.pop(delivery.subscription, None)
            elif delivery.attempts < total:
                delivery.state = "pending"
                delivery.due_at = self.emulator.clock.now() + policy.backoff_seconds * 2 ** (delivery.attempts - 1)
            else:
                delivery.state = "failed"
                if delivery.subscription:
                    count = self.failures.get(delivery.subscription, 0) + 1
                    self.failures[delivery.subscription] = count
                    if policy.disable_after_failures and count >= policy.disable_after_failures:
                        self.disabled.add(delivery.subscription)
        note = f"attempt {delivery.attempts}/{total}: {delivery.state}"
        if error:
            note += f" ({error})"
        if delivery.subscription in self.disabled and delivery.state == "failed":
            note += "; subscription disabled"
            self.emulator.on_subscription_disabled(delivery.subscription)
        self._journal(delivery, headers, answer, note, duration)

    def _journal(self, delivery: Delivery, headers: dict, answer: Response | None, note: str, duration=0.0) -> None:
        secret = {name.lower() for name in delivery.secret_headers}
        self.emulator.journal.record(
            "delivery",
            "POST",
            delivery.url,
            {k: mask(v) if k.lower() in secret else v for k, v in headers.items()},
            delivery.body,
            response=answer,
            duration_ms=duration,
            note=note,
            extra={"delivery": delivery.id, "event": delivery.event, "attempt": delivery.attempts},
        )

    def describe(self, full: bool = False) -> dict:
        with self._lock:
            counts: dict[str, int] = {}
            for d in self.deliveries:
                counts[d.state] = counts.get(d.state, 0) + 1
            data = {
                "policy": {f.name: getattr(self.policy, f.name) for f in fields(self.policy)},
                "counts": counts,
                "disabled": sorted(self.disabled),
            }
            if full:
                data["deliveries"] = [d.summary() for d in self.deliveries]
        return data
