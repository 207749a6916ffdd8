"""The explicit registry of external systems. Adding one means a package here and a line below."""

from connections.providers.base import AuthKind, Provider, RateLimit
from connections.providers.freshbooks import PROVIDER as FRESHBOOKS
from connections.providers.zendesk import PROVIDER as ZENDESK

PROVIDERS: dict[str, Provider] = {provider.slug: provider for provider in (FRESHBOOKS, ZENDESK)}


def get_provider(slug: str) -> Provider:
    try:
        return PROVIDERS[slug]
    except KeyError:
        raise LookupError(f"Unknown provider {slug!r}.") from None


def provider_choices() -> list[tuple[str, str]]:
    return [(p.slug, p.name) for p in PROVIDERS.values()]


__all__ = ["PROVIDERS", "AuthKind", "Provider", "RateLimit", "get_provider", "provider_choices"]
