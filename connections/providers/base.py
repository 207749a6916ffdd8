"""The declarative description every provider package exports as `PROVIDER`.

A provider is data first (who it is, how it authenticates, which per-connection addresses it needs, its
hosts, its published limits); behaviour lives in the package's other modules, named in `connections.registry`.
The declaration imports nothing but this module, so settings can derive per-provider values from it.
"""

import re
import string
from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.core.exceptions import ValidationError

# A host placeholder is filled from per-connection data, so it must stay one DNS label (or one path segment):
# a typed subdomain or a region can never point our calls, and the tokens they carry, at another host.
HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class AuthKind(StrEnum):
    """How a provider is connected. A plain enum, not a model choice: settings read declarations at start-up."""

    OAUTH2_USER = "oauth2_user"
    CLIENT_CREDENTIALS = "client_credentials"
    API_TOKEN = "api_token"  # noqa: S105 - a kind of credential, not one


@dataclass(frozen=True)
class RateLimit:
    """A published limit: `requests` per `per_seconds`, counted per `scope` (connection, user, app...)."""

    requests: int
    per_seconds: int
    scope: str = "connection"
    note: str = ""


@dataclass(frozen=True)
class Host:
    """One base URL of a provider, e.g. `Host("api", "https://{subdomain}.example.com", "ACME_URL_TEMPLATE")`.

    `setting` names a Django setting that replaces the template (it may hold the same placeholders). When it is
    empty and `SANDBOX_URL` is set, the host is `<SANDBOX_URL>/<provider slug><sandbox_path>`; `sandbox_path`
    carries the placeholders there (e.g. `/{subdomain}`), so the sandbox still sees per-connection values.
    """

    name: str
    template: str
    setting: str = ""
    sandbox_path: str = ""

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.template) if name)


@dataclass(frozen=True)
class Provider:
    slug: str
    name: str
    auth_kinds: tuple[str, ...]
    # Keys a Connection of this provider may hold in `addresses`; `required_addresses` must be present
    # once the connection is active (they are learnt during the connect flow).
    address_fields: tuple[str, ...] = ()
    required_addresses: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    rate_limits: tuple[RateLimit, ...] = ()
    hosts: tuple[Host, ...] = ()
    docs_url: str = ""
    # Where one provider serves each customer from one of several declared hosts (Salesforce's My Domain
    # forms, Zuora's regional environments): the address field whose value names the connection's host. The
    # connection stores a key of the list, never a URL.
    host_choice: str = ""
    # What the requested access lets ml-connector do, in words, for the connect page.
    access: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def uses_oauth(self) -> bool:
        return AuthKind.OAUTH2_USER in self.auth_kinds

    def host_for(self, addresses: dict | None) -> str:
        """The name of the host a connection with these addresses calls by default ("api" for most)."""
        if not self.host_choice:
            return "api"
        chosen = str((addresses or {}).get(self.host_choice) or "")
        if chosen not in {host.name for host in self.hosts}:
            raise ValueError(f"{self.name} has no {self.host_choice} {chosen!r}.")
        return chosen

    def host(self, name: str = "api") -> Host:
        for host in self.hosts:
            if host.name == name:
                return host
        raise LookupError(f"{self.name} has no host {name!r}.")

    def host_template(self, name: str = "api") -> str:
        """The template in force: the host's own setting, else the sandbox, else the real provider."""
        host = self.host(name)
        override = getattr(settings, host.setting, "") if host.setting else ""
        if override:
            return override.rstrip("/")
        sandbox = getattr(settings, "SANDBOX_URL", "")
        if sandbox:
            return f"{sandbox.rstrip('/')}/{self.slug}{host.sandbox_path}"
        return host.template

    def base_url(self, name: str = "api", addresses: dict | None = None) -> str:
        """The base URL of host `name` for a connection with these `addresses` (no trailing slash)."""
        values = {}
        for key in self.host(name).placeholders:
            value = str((addresses or {}).get(key, ""))
            if not HOST_LABEL.fullmatch(value):
                raise ValueError(f"{self.name} {key} {value!r} is not a valid host label.")
            values[key] = value
        return self.host_template(name).format(**values)

    def match_base_url(self, url, prefer: str | None = None, *, published: bool = False) -> tuple[str, dict] | None:
        """(host name, placeholder values) when `url` is exactly one of this provider's base URLs, else None.

        For addresses a provider announces at run time (Salesforce's `instance_url`, Zoho's `api_domain`):
        only a URL of a declared form, with each placeholder one valid label, is ever called. `prefer` is
        tried first, since in the sandbox several hosts share one address. `published` matches the real
        provider's forms whatever the settings point at (what a person types is a real address).
        """
        if not isinstance(url, str):
            return None
        url = url.rstrip("/")
        names = [host.name for host in self.hosts]
        if prefer in names:
            names.remove(prefer)
            names.insert(0, prefer)
        for name in names:
            template = self.host(name).template if published else self.host_template(name)
            pattern = re.escape(template)
            for placeholder in self.host(name).placeholders:
                pattern = pattern.replace(
                    re.escape("{" + placeholder + "}"), f"(?P<{placeholder}>{HOST_LABEL.pattern})"
                )
            found = re.fullmatch(pattern, url, flags=re.IGNORECASE)
            if found:
                return name, {key: value.lower() for key, value in found.groupdict().items()}
        return None

    def validate_addresses(self, addresses: dict, *, require: bool = False) -> None:
        if not isinstance(addresses, dict):
            raise ValidationError({"addresses": "Addresses must be a JSON object."})
        unknown = sorted(set(addresses) - set(self.address_fields))
        if unknown:
            raise ValidationError(
                {"addresses": f"{self.name} connections have no address field(s): {', '.join(unknown)}."}
            )
        for key, value in addresses.items():
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise ValidationError({"addresses": f"{key} must be a string or a number."})
        if require:
            missing = [key for key in self.required_addresses if not addresses.get(key)]
            if missing:
                raise ValidationError({"addresses": f"{self.name} needs: {', '.join(missing)}."})
