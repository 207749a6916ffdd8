"""Salesforce record ids: 15 case-sensitive characters (key prefix, pod, counter), and the 18-character
case-safe form that appends a 3-character checksum of the upper-case letters (salesforce.md 2.2)."""

from __future__ import annotations

import re

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SHAPE = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")


def checksum(id15: str) -> str:
    """The three characters that make a 15-character id case-safe: for each run of five characters, one
    character whose bits say which of them are upper-case letters."""
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(id15[start : start + 5]) if "A" <= char <= "Z")
        suffix += _SUFFIX_CHARS[bits]
    return suffix


def to18(id15: str) -> str:
    return id15 + checksum(id15)


def base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62[rest] + digits
    return digits.rjust(width, "0")


def make_id(prefix: str, pod: str, counter: int) -> str:
    """An 18-character id: key prefix (3), pod (2), counter (10), checksum (3)."""
    return to18(f"{prefix}{pod}{base62(counter, 10)}")


def normalize(value: object) -> str | None:
    """The 18-character form of a 15- or 18-character id; None when `value` is no id at all."""
    if not isinstance(value, str) or not _SHAPE.fullmatch(value):
        return None
    return to18(value[:15])


def pod_for(index: int) -> str:
    """Two characters standing for the org's instance, like the `dM` of `001dM00003jU9GxQAK`."""
    return BASE62[36 + (index * 3 + 3) % 26] + BASE62[10 + (index * 7 + 12) % 26]
