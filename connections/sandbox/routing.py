"""Routes: `@route` and `@control` mark an emulator's methods; patterns become regular expressions."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_CONVERTERS = {"str": r"[^/]+", "int": r"\d+", "path": r".+"}
_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    regex: re.Pattern
    converters: dict
    handler_name: str
    locked: bool = True

    def match(self, path: str) -> dict | None:
        m = self.regex.fullmatch(path)
        if not m:
            return None
        return {k: int(v) if self.converters[k] == "int" else v for k, v in m.groupdict().items()}


def compile_pattern(pattern: str) -> tuple[re.Pattern, dict]:
    optional_slash = pattern.endswith("/?")
    body = pattern[:-2] if optional_slash else pattern
    converters: dict[str, str] = {}
    regex, last = "", 0
    for m in _PLACEHOLDER.finditer(body):
        name, kind = m.group(1), m.group(2) or "str"
        converters[name] = kind
        regex += re.escape(body[last : m.start()]) + f"(?P<{name}>{_CONVERTERS[kind]})"
        last = m.end()
    regex += re.escape(body[last:]) + ("/?" if optional_slash else "")
    return re.compile(regex), converters


def route(method: str, pattern: str) -> Callable:
    """Marks an emulator method as the handler of `method pattern` on the provider's API."""
    return _mark("_sandbox_routes", method, pattern)


def control(method: str, pattern: str, *, locked: bool = True) -> Callable:
    """Marks an emulator method as a control action under `/_sandbox/<slug>/api/<pattern>`.

    Actions run under the emulator's lock unless `locked=False` (those that make outbound calls, which must
    not block the emulator while a receiver calls back into it).
    """
    return _mark("_sandbox_controls", method, pattern, locked)


def _mark(attribute: str, method: str, pattern: str, locked: bool = True) -> Callable:
    def decorator(fn):
        getattr(fn, attribute, None) or setattr(fn, attribute, [])
        getattr(fn, attribute).append((method.upper(), pattern, locked))
        return fn

    return decorator


def _collect(cls, attribute: str) -> list[Route]:
    routes, seen = [], set()
    for klass in cls.__mro__:
        for name, fn in vars(klass).items():
            if name in seen:
                continue
            seen.add(name)
            for method, pattern, locked in getattr(fn, attribute, ()):
                regex, converters = compile_pattern(pattern)
                routes.append(Route(method, pattern, regex, converters, name, locked))
    return routes
