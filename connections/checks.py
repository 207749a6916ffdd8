"""The system check that every registered provider and flow is fully wired (`manage.py check` runs it).

A provider is wired when its declaration loads and carries its own slug, every part its registry line names
imports, an OAuth provider has its app and social-auth backend in the settings, and every host override
variable it declares is a setting. A flow is wired when it loads and both of its systems are registered.
"""

from django.conf import settings
from django.core.checks import Error, register

from connections import registry
from connections.registry import PARTS


def provider_errors(slug: str, spec) -> list[Error]:
    try:
        declaration = spec.declaration
    except (ImportError, AttributeError) as exc:
        return [Error(f"Provider {slug!r}: its declaration {spec.package}.{spec.provider} does not load: {exc}.")]
    errors = []
    if declaration.slug != slug:
        errors.append(Error(f"Provider {slug!r} is registered under another slug than its own ({declaration.slug!r})."))
    for part in PARTS:
        if spec.path(part) is None:
            continue
        try:
            spec.load(part)
        except (ImportError, AttributeError) as exc:
            errors.append(Error(f"Provider {slug!r}: its {part} ({spec.path(part)}) does not load: {exc}."))
    if declaration.uses_oauth:
        if spec.path("auth") is None:
            errors.append(Error(f"Provider {slug!r} connects with OAuth but names no auth backend."))
        elif spec.path("auth") not in settings.SOCIAL_AUTH_AUTHENTICATION_BACKENDS:
            errors.append(
                Error(f"Provider {slug!r}: {spec.path('auth')} is not in SOCIAL_AUTH_AUTHENTICATION_BACKENDS.")
            )
        if slug not in settings.OAUTH_APPS:
            errors.append(Error(f"Provider {slug!r} connects with OAuth but OAUTH_APPS has no app for it."))
    for host in declaration.hosts:
        if host.setting and not hasattr(settings, host.setting):
            errors.append(
                Error(f"Provider {slug!r}: host {host.name!r} names the setting {host.setting}, which is unset.")
            )
    return errors


def flow_errors(kind: str) -> list[Error]:
    try:
        flow = registry.flow(kind)
    except (ImportError, AttributeError) as exc:
        return [Error(f"Flow {kind!r} ({registry.FLOWS[kind]}) does not load: {exc}.")]
    errors = []
    for side in ("source_provider", "target_provider"):
        if getattr(flow, side) not in registry.PROVIDERS:
            errors.append(Error(f"Flow {kind!r} needs the provider {getattr(flow, side)!r}, which is not registered."))
    return errors


@register()
def check_registry(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for slug, spec in registry.PROVIDERS.items():
        errors += provider_errors(slug, spec)
    for kind in registry.FLOWS:
        errors += flow_errors(kind)
    return errors
