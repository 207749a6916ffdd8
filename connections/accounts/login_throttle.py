"""Login throttling against password guessing, on the atomic fixed-window counters of connections.throttles.

Failures are counted, in windows of `LOGIN_LOCKOUT_SECONDS`, per (username, client address), per username
from every address (so guessing one account from many addresses locks it too) and per client address. Past
a limit the login form refuses even a right password until the window ends, says so, and records an audit
event in the workspaces of the account being guessed. Unknown usernames are counted and answered alike.

The owner lifts their account's lock-out by completing a password reset from the e-mailed link: the reset
starts a new *generation* of the username's counts, at every address at once. The per-address count is not
lifted: an attacker resetting an account of their own must not win a fresh budget for guessing others.
The password is never logged.
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model

from connections import throttles
from connections.accounts.signup import record_for_user
from connections.throttles import client_address

logger = logging.getLogger(__name__)

PAIR, ACCOUNT, ADDRESS, GENERATION = "login-pair", "login-account", "login-address", "login-unlocks"


def _window() -> int:
    return settings.LOGIN_LOCKOUT_SECONDS


def _who(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()


def _keys(username: str, address: str) -> tuple[str, str]:
    """The (username, address) and username keys, in the username's current generation."""
    who = _who(username)
    generation = throttles.count(GENERATION, who, _window())
    account = f"{who}:{generation}"
    return hashlib.sha256(f"{account}|{address}".encode()).hexdigest(), account


def _account_locked(username: str, address: str) -> bool:
    pair, account = _keys(username, address)
    return (
        throttles.count(PAIR, pair, _window()) >= settings.LOGIN_FAILURE_LIMIT
        or throttles.count(ACCOUNT, account, _window()) >= settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT
    )


def locked(username: str, request) -> str | None:
    """Why logging in as `username` from here is refused: "address", "account", or None when it is not."""
    address = client_address(request)
    if throttles.count(ADDRESS, address, _window()) >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS:
        return "address"
    return "account" if _account_locked(username, address) else None


def _find_user(username: str):
    return get_user_model().objects.filter(username__iexact=username.strip()).first()


def record_failure(username: str, request) -> None:
    address = client_address(request)
    pair, account = _keys(username, address)
    throttles.hit(ADDRESS, address, _window())
    at_address = throttles.hit(PAIR, pair, _window())
    everywhere = throttles.hit(ACCOUNT, account, _window())
    if at_address == settings.LOGIN_FAILURE_LIMIT:
        _locked(username, address, at_address, "pair", f"{at_address} failed attempts from {address}")
    if everywhere == settings.LOGIN_FAILURE_LIMIT_PER_ACCOUNT:
        _locked(username, address, everywhere, "account", f"{everywhere} failed attempts from any address")


def _locked(username: str, address: str, failures: int, scope: str, why: str) -> None:
    logger.warning("Login locked for a username after %s (the last from %s)", why, address)
    user = _find_user(username)
    if user is not None:
        record_for_user(
            "user.login_locked",
            user,
            level="warning",
            message=f"Logging in as {user.email} was locked after {why}.",
            data={"address": address, "failures": failures, "scope": scope},
        )


def record_success(username: str, request) -> None:
    """Forgets this address's failures for the username; those from elsewhere still count."""
    pair, _ = _keys(username, client_address(request))
    throttles.clear(PAIR, pair, _window())


def lift_lockout(user, request) -> None:
    """After a completed password reset: the username's counts start afresh everywhere, and an audit event
    says so when a lock-out (across addresses, or at the address the reset came from) was in force."""
    username, address = user.get_username(), client_address(request)
    was_locked = _account_locked(username, address)
    failures = throttles.count(ACCOUNT, _keys(username, address)[1], _window())
    throttles.hit(GENERATION, _who(username), _window())
    if was_locked:
        record_for_user(
            "user.login_unlocked",
            user,
            actor=user,
            message=f"The log-in lock-out of {user.email} was lifted by a password reset.",
            data={"address": address, "failures": failures},
        )
