"""Central, key-based redaction: anything stored in an audit event or log passes through `redact()`.

A value is masked when its key names a secret (token, secret, password, authorization, signature, ...),
whatever the nesting, so a provider's token response or a request's headers can be recorded safely.
"""

import re
from collections.abc import Mapping

MASK = "[redacted]"

SECRET_KEY_PATTERN = re.compile(
    r"(token|secret|passw|authorization|api[_-]?key|signature|cookie|credential|private|code_verifier|^code$"
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
