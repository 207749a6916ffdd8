"""The settings every provider needs, derived from the registry and each provider's declaration.

`mlconnector/settings.py` applies them, so a new provider package brings its OAuth app variables
(`<SLUG>_CLIENT_ID`, `<SLUG>_CLIENT_SECRET`), its social-auth backend and its host override variables
(each `Host.setting`) without an edit there. Only declarations are read: they import nothing but
`connections.providers.base`, which is safe while settings load.
"""

from connections.registry import PROVIDERS


def sandbox_app(slug: str) -> dict:
    """The OAuth app every emulator registers for itself (see each emulator's DEFAULT_CONFIG)."""
    return {"client_id": f"sandbox-{slug}-client", "client_secret": f"sandbox-{slug}-secret"}


def oauth_providers(providers=None) -> dict:
    return {slug: spec for slug, spec in (providers or PROVIDERS).items() if spec.declaration.uses_oauth}


def provider_settings(env, *, sandbox: bool, providers=None) -> dict:
    """OAuth apps (the sandbox's own when `sandbox` and the environment names none), social-auth backends,
    and one setting per host override variable (empty: the real host)."""
    providers = providers or PROVIDERS
    oauth = oauth_providers(providers)
    apps = {}
    for slug in oauth:
        default = sandbox_app(slug) if sandbox else {"client_id": "", "client_secret": ""}
        apps[slug] = {
            "client_id": env.str(f"{slug.upper()}_CLIENT_ID", default=default["client_id"]),
            "client_secret": env.str(f"{slug.upper()}_CLIENT_SECRET", default=default["client_secret"]),
        }
    hosts = {
        host.setting: env.str(host.setting, default="")
        for spec in providers.values()
        for host in spec.declaration.hosts
        if host.setting
    }
    return {
        "OAUTH_APPS": apps,
        "SOCIAL_AUTH_AUTHENTICATION_BACKENDS": [spec.path("auth") for spec in oauth.values()],
        **hosts,
    }
