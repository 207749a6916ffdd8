"""What this installation connects: the external systems and the flows between them, by name.

Like healthchecks' `TRANSPORTS`, the registries hold dotted paths, never modules: this file imports nothing of
the project, so the models, the settings and the system check can read it without loading a provider's
behaviour or a flow, and nothing here can form an import circle. Adding a system is its package and one line
in `PROVIDERS`; adding an integration is its flow module and one line in `FLOWS`
(`docs/adding-an-integration.md`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from importlib import import_module

PARTS = ("auth", "client", "webhooks", "subscriptions", "mirror", "connect", "emulator", "seed")


@dataclass(frozen=True)
class ProviderSpec:
    """Where one external system's parts live: dotted paths inside its package, None where it has no such part.

    The defaults are the standard files of a provider package; a part that is named must import (the system
    check says which does not), so a typo never passes for "this provider has no webhooks".
    """

    package: str
    provider: str = "PROVIDER"  # the declarative Provider in the package's __init__.py
    auth: str | None = "auth.Backend"  # social-auth backend (OAuth) or client-credentials grant
    client: str | None = "client"  # ping, revoke and the provider's answers' quirks
    webhooks: str | None = "webhooks.RECEIVER"  # verify and parse deliveries
    subscriptions: str | None = "subscriptions"  # register, renew, describe and remove webhooks at the provider
    mirror: str | None = "mirror.SOURCES"  # the record types mirrored locally for matching
    connect: str | None = "forms"  # the connect forms
    emulator: str | None = "emulator.EMULATOR"  # the sandbox twin of its API
    seed: str | None = "seed.seed"  # the demo company

    def path(self, part: str) -> str | None:
        name = getattr(self, part)
        return f"{self.package}.{name}" if name else None

    def load(self, part: str):
        """The part itself (None when the provider has none); a named part that does not import raises."""
        dotted = self.path(part)
        return resolve(dotted) if dotted else None

    @property
    def declaration(self):
        """The declarative `Provider` (slug, name, hosts, auth kinds, limits): data only, safe to read anywhere."""
        return resolve(f"{self.package}.{self.provider}")

    @classmethod
    def declaration_only(cls, package: str, provider: str = "PROVIDER") -> ProviderSpec:
        """A provider with a declaration and nothing else (tests, and systems not built yet)."""
        return cls(package, provider, **{f.name: None for f in fields(cls) if f.name in PARTS})


def resolve(dotted: str):
    """A module (`<package>.client`) or an attribute of one (`<package>.webhooks.RECEIVER`)."""
    try:
        return import_module(dotted)
    except ModuleNotFoundError as error:
        if error.name != dotted:
            raise
    module, _, attribute = dotted.rpartition(".")
    return getattr(import_module(module), attribute)


PROVIDERS: dict[str, ProviderSpec] = {
    "freshbooks": ProviderSpec("connections.providers.freshbooks"),
    "zendesk": ProviderSpec("connections.providers.zendesk"),
    "salesforce": ProviderSpec(
        "connections.providers.salesforce",
        auth="auth.GRANT",
        webhooks=None,
        subscriptions=None,
    ),
    "zuora": ProviderSpec("connections.providers.zuora", auth="auth.GRANT", webhooks=None, subscriptions=None),
}

FLOWS: dict[str, str] = {
    "freshbooks_zendesk": "syncs.flows.freshbooks_zendesk.FLOW",
    "freshbooks_salesforce": "syncs.flows.freshbooks_salesforce.FLOW",
    "freshbooks_zuora": "syncs.flows.freshbooks_zuora.FLOW",
}


# Lookups -------------------------------------------------------------------------------------------------


def spec(slug: str) -> ProviderSpec:
    try:
        return PROVIDERS[slug]
    except KeyError:
        raise LookupError(f"Unknown provider {slug!r}.") from None


def provider(slug: str):
    """The declarative Provider of `slug` (LookupError when it is not registered)."""
    return spec(slug).declaration


def find_provider(slug: str):
    """The declarative Provider of `slug`, or None."""
    return PROVIDERS[slug].declaration if slug in PROVIDERS else None


def part(slug: str, name: str):
    """One part of a registered provider (None when the provider or the part does not exist)."""
    found = PROVIDERS.get(slug)
    return found.load(name) if found else None


def providers() -> list:
    return [found.declaration for found in PROVIDERS.values()]


def provider_choices() -> list[tuple[str, str]]:
    return [(slug, found.declaration.name) for slug, found in PROVIDERS.items()]


def flow(kind: str):
    """The flow registered as `kind`, or None."""
    dotted = FLOWS.get(kind)
    return resolve(dotted) if dotted else None


def flows() -> dict:
    return {kind: resolve(dotted) for kind, dotted in FLOWS.items()}


def flow_choices() -> list[tuple[str, str]]:
    return [(kind, found.name) for kind, found in flows().items()]
