"""SOQL's tokens: identifiers and dotted paths, numbers, date and datetime literals, operators, and string
literals with the documented escapes (`\\'`, `\\\\`, `\\n`...; `\\%` and `\\_` keep their LIKE meaning).
A character the language has no use for is a MALFORMED_QUERY at its position."""

from __future__ import annotations

import re
from dataclasses import dataclass

ESCAPES = {"'": "'", '"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\w:]))
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<path>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)


class SoqlError(Exception):
    """A query Salesforce would refuse: `pos` (0-based) is where its caret points, None for no context."""

    def __init__(self, code: str, message: str, pos: int | None = None):
        super().__init__(code, message)
        self.code = code
        self.message = message
        self.pos = pos


@dataclass
class Token:
    kind: str  # string, date, datetime, number, path, op, punct, eof
    value: object
    pos: int
    chars: tuple = ()  # for strings: (char, escaped) pairs, so LIKE can tell \% from %

    @property
    def keyword(self) -> str:
        return str(self.value).upper() if self.kind == "path" else ""

    def shown(self) -> str:
        return "<EOF>" if self.kind == "eof" else str(self.value)


def tokenize(text: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos] == "'":
            token, pos = _string(text, pos)
            tokens.append(token)
            continue
        m = _TOKEN.match(text, pos)
        if m is None:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text[pos]}'", pos)
        if m.lastgroup != "space":
            value = m.group()
            tokens.append(Token(m.lastgroup, value, pos))
        pos = m.end()
    tokens.append(Token("eof", "", len(text)))
    return tokens


def _string(text: str, start: int) -> tuple[Token, int]:
    chars, pos = [], start + 1
    while pos < len(text):
        char = text[pos]
        if char == "'":
            return Token("string", "".join(c for c, _ in chars), start, tuple(chars)), pos + 1
        if char == "\\":
            following = text[pos + 1 : pos + 2]
            if following in ESCAPES:
                chars.append((ESCAPES[following], True))
            elif following in ("%", "_"):
                chars.append((following, True))
            else:
                raise SoqlError("MALFORMED_QUERY", f"Invalid string literal '{text[start : pos + 2]}'", pos)
            pos += 2
            continue
        chars.append((char, False))
        pos += 1
    raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{text[start:]}'", start)
