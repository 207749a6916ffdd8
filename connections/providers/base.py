"""The declarative description every provider package exports as `PROVIDER`.

A provider is data first (who it is, how it authenticates, which per-connection addresses it needs, its
published limits); behaviour lives in the package's `auth.py`, `client.py`, `webhooks.py` and `emulator.py`.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models


class AuthKind(models.TextChoices):
    OAUTH2_USER = "oauth2_user", "OAuth 2.0, user-delegated"
    CLIENT_CREDENTIALS = "client_credentials", "OAuth 2.0 client credentials"
    API_TOKEN = "api_token", "API token"


@dataclass(frozen=True)
class RateLimit:
    """A published limit: `requests` per `per_seconds`, counted per `scope` (connection, user, app...)."""

    requests: int
    per_seconds: int
    scope: str = "connection"
    note: str = ""


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
    docs_url: str = ""
    extra: dict = field(default_factory=dict)

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
