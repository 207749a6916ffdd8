"""The HTTP session every provider call goes out on, token requests included, and what an answer says about
waiting before the next one."""

import os
import threading
import time
from email.utils import parsedate_to_datetime

import requests
from django.utils import timezone

_local = threading.local()


def session() -> requests.Session:
    """One HTTP session per thread (a process's workers each have their own): connections to a provider are
    kept alive and reused, instead of a new TCP and TLS handshake for every call."""
    current = getattr(_local, "session", None)
    if current is None or getattr(_local, "pid", None) != os.getpid():
        current = _local.session = requests.Session()
        _local.pid = os.getpid()
    return current


def retry_after(response: requests.Response) -> float | None:
    """Seconds to wait: Retry-After (seconds or an HTTP date), else a reset header."""
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("ratelimit-reset") or response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            seconds = float(reset)
        except ValueError:
            return None
        return max(0.0, seconds - time.time()) if seconds > 1e9 else seconds
    return None
