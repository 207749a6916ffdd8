"""The HTTP session every provider call goes out on, token requests included."""

import os
import threading

import requests

_local = threading.local()


def session() -> requests.Session:
    """One HTTP session per thread (a process's workers each have their own): connections to a provider are
    kept alive and reused, instead of a new TCP and TLS handshake for every call."""
    current = getattr(_local, "session", None)
    if current is None or getattr(_local, "pid", None) != os.getpid():
        current = _local.session = requests.Session()
        _local.pid = os.getpid()
    return current
