"""Central redaction: anything stored in an audit event or log passes through here.

Two nets. By key: a value is masked when its key names a secret (token, secret, password, authorization,
signature, verifier, ...), whatever the nesting, so a provider's token response or a request's headers can
be recorded safely. By value: every secret the connections in play hold (`mask_values`, fed by
`audit.record` and `audit.for_job`) is masked wherever it appears, under any key or inside any text, so a
secret under a name nobody guessed (a FreshBooks `verifier` in a callback body) is caught all the same.
"""

import logging
import re
from collections.abc import Iterable, Mapping

MASK = "[redacted]"

SECRET_KEY_PATTERN = re.compile(
    r"(token|secret|passw|authorization|api[_-]?key|signature|cookie|credential|private|verifier|^code$"
    r"|^x-api-key$|^otp$)",
    re.IGNORECASE,
)


def is_secret_key(key) -> bool:
    return isinstance(key, str) and bool(SECRET_KEY_PATTERN.search(key))


def redact(value, *, _depth: int = 0):
    """A copy of `value` with secret-named keys masked (dicts, lists, tuples; other values unchanged)."""
    if _depth > 20:
        return MASK
    if isinstance(value, Mapping):
        return {
            key: (MASK if is_secret_key(key) and item not in (None, "") else redact(item, _depth=_depth + 1))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(item, _depth=_depth + 1) for item in value]
    return value


def mask_values(value, secrets: Iterable[str], *, _depth: int = 0):
    """A copy of `value` with every occurrence of each secret string replaced by the mask, keys included."""
    secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
    return _masked(value, secrets, 0) if secrets else value


def _masked(value, secrets: tuple[str, ...], depth: int):
    if depth > 20:
        return MASK
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, Mapping):
        return {_masked(k, secrets, depth + 1): _masked(v, secrets, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(item, secrets, depth + 1) for item in value]
    return value


class SecretsFilter(logging.Filter):
    """Masks the secrets of the connections in play (see `audit.secrets_in_play`) in every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        from audit import secrets_in_play

        secrets = secrets_in_play()
        if secrets:
            message = record.getMessage()
            masked = mask_values(message, secrets)
            if masked != message:
                record.msg, record.args = masked, None
        return True
