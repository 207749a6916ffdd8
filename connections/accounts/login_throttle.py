"""Login throttling against password guessing, on Django's cache (shared by every web process).

Failures are counted per (username, client address) and per client address within a window. Past the limit
the login form refuses even a right password until the window has passed, says so plainly, and records an
audit event in the workspaces of the account being guessed. The password is never logged.
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache

from connections.accounts.signup import record_for_user
from connections.throttles import client_address

logger = logging.getLogger(__name__)


def _keys(username: str, address: str) -> tuple[str, str]:
    who = hashlib.sha256(f"{username.strip().lower()}|{address}".encode()).hexdigest()
    return f"login-failures:user:{who}", f"login-failures:ip:{address}"


def is_locked(username: str, request) -> bool:
    user_key, ip_key = _keys(username, client_address(request))
    counts = cache.get_many([user_key, ip_key])
    return (
        counts.get(user_key, 0) >= settings.LOGIN_FAILURE_LIMIT
        or counts.get(ip_key, 0) >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
    )


def _bump(key: str) -> int:
    if cache.add(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_SECONDS)
        return 1


def record_failure(username: str, request) -> None:
    address = client_address(request)
    user_key, ip_key = _keys(username, address)
    failures = _bump(user_key)
    _bump(ip_key)
    if failures == settings.LOGIN_FAILURE_LIMIT:
        logger.warning("Login locked for a username after %s failures from %s", failures, address)
        user = get_user_model().objects.filter(username__iexact=username.strip()).first()
        if user is not None:
            record_for_user(
                "user.login_locked",
                user,
                level="warning",
                message=f"Logging in as {user.email} was locked after {failures} failed attempts from {address}.",
                data={"address": address, "failures": failures},
            )


def record_success(username: str, request) -> None:
    cache.delete(_keys(username, client_address(request))[0])
