"""Matching an incoming URL to an emulator host, the same way in both transports.

A provider's hosts are templates (`https://{subdomain}.example.com`); a URL matches one when its scheme, host
and any path prefix fit, and the placeholders become `Request.host` values. The sandbox server matches each
host's `sandbox_path` after the `/<slug>` prefix instead.
"""

from __future__ import annotations

import re

from connections.providers.base import Host, Provider

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_LABEL = r"[A-Za-z0-9-]+"


def template_regex(template: str) -> str:
    regex, last = "", 0
    for m in _PLACEHOLDER.finditer(template):
        regex += re.escape(template[last : m.start()]) + f"(?P<{m.group(1)}>{_LABEL})"
        last = m.end()
    return regex + re.escape(template[last:].rstrip("/"))


def url_pattern(template: str) -> re.Pattern:
    """Matches a full URL on this host template; groups: placeholders, `_path`, `_query`."""
    return re.compile("^" + template_regex(template) + r"(?P<_path>/[^?#]*)?(?:\?(?P<_query>[^#]*))?(?:#.*)?$")


def host_templates(provider: Provider, host: Host) -> list[str]:
    """The real template and, when settings override it, the one in force: both reach the emulator."""
    templates = [host.template]
    current = provider.host_template(host.name)
    if current not in templates:
        templates.append(current)
    return templates


def match_sandbox_path(provider: Provider, rest: str) -> tuple[dict, str, str] | None:
    """For the server: `rest` is the path after `/<slug>`; returns (host values, prefix, path)."""
    for host in provider.hosts or (Host("api", "", sandbox_path=""),):
        m = re.match(template_regex(host.sandbox_path) + r"(?=/|$)", rest)
        if m:
            return m.groupdict(), m.group(0), rest[m.end() :] or "/"
    return None
