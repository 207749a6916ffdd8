"""Connecting a provider through social-auth: the shared backend base, the connect intent and the pipeline.

social-auth runs the redirect, checks `state` and exchanges the code. We use it to *connect a system*, not to
log anyone in: the pipeline (settings.SOCIAL_AUTH_PIPELINE) is ours alone. It stores the tokens, encrypted,
on the tenant's `Connection` and ends by returning a redirect, so social-auth never creates a user, never
logs anyone in or out, and writes no `UserSocialAuth` row (hence nothing secret in its `extra_data`).

A provider's `auth.py` subclasses `ConnectorOAuth2` with its constants and up to three hooks:
`connect_params()` (what the authorize and token requests need from the connect intent, e.g. the
customer's own subdomain), `addresses_from()` (what the redirect, the token response or `user_data()` tell
us about where the account lives: a user's businesses to choose from, a company id on the redirect or an API
domain in the token answer) and `token_expiry()`.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from social_core.backends.oauth import BaseOAuth2
from social_django.strategy import DjangoStrategy

import audit
from connections import registry
from connections.models import Connection, Tenant

INTENT_KEY = "connect_intent"


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str | None
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None = None


def save_intent(request, *, provider: str, label: str, addresses: dict, reconnect: str | None = None):
    """What the customer asked to connect, kept in the session across the provider's consent page."""
    request.session[INTENT_KEY] = {
        "provider": provider,
        "tenant": str(request.tenant.uuid),
        "user": request.user.pk,
        "label": label,
        "addresses": addresses,
        "reconnect": reconnect,
    }


class ConnectStrategy(DjangoStrategy):
    """Runs our pipeline straight on the backend, not through django.contrib.auth.authenticate().

    social_django's strategy goes through Django's login machinery, which would need these backends in
    AUTHENTICATION_BACKENDS, where they could log people in. Connecting a system must never do that.
    """

    def authenticate(self, backend, **kwargs):
        kwargs.update(strategy=self, storage=self.storage, backend=backend)
        kwargs.pop("request", None)
        return backend.authenticate(self.request, **kwargs)


class ConnectorOAuth2(BaseOAuth2):
    """A provider's OAuth 2.0 authorization-code backend, reading its hosts from the Provider's rules."""

    provider_slug = ""
    host_for_authorize = "auth"
    host_for_token = "api"
    AUTHORIZE_PATH = ""
    TOKEN_PATH = ""
    ACCESS_TOKEN_METHOD = "POST"
    REFRESH_TOKEN_METHOD = "POST"
    ACCESS_TOKEN_PAYLOAD = "form"
    STATE_PARAMETER = True
    REDIRECT_STATE = False
    SCOPE_SEPARATOR = " "
    # Extra fields the token request must carry (e.g. expires_in, where a provider omits the expiry otherwise).
    TOKEN_EXTRA: dict = {}
    SEND_REDIRECT_URI_ON_REFRESH = False

    @property
    def provider(self):
        return registry.provider(self.provider_slug)

    # Where the account lives, from the connect intent in the session (e.g. a subdomain).
    def intent(self) -> dict:
        return self.strategy.session_get(INTENT_KEY) or {}

    def addresses_for_hosts(self) -> dict:
        return self.intent().get("addresses", {})

    def authorization_url(self) -> str:
        return self.provider.base_url(self.host_for_authorize, self.addresses_for_hosts()) + self.AUTHORIZE_PATH

    def access_token_url(self) -> str:
        return self.provider.base_url(self.host_for_token, self.addresses_for_hosts()) + self.TOKEN_PATH

    def get_redirect_uri(self, state=None):
        """Absolute, from PUBLIC_BASE_URL: the address registered with the provider, whatever Host we got."""
        return settings.PUBLIC_BASE_URL + urlsplit(self.redirect_uri or "").path

    def get_scope(self):
        return list(self.provider.scopes)

    def get_key_and_secret(self):
        credentials = settings.OAUTH_APPS.get(self.provider_slug, {})
        return credentials.get("client_id", ""), credentials.get("client_secret", "")

    def auth_complete_params(self, state=None):
        return {**super().auth_complete_params(state), **self.TOKEN_EXTRA}

    # Hooks ---------------------------------------------------------------------------------------------
    def addresses_from(self, response: dict) -> tuple[dict, list[dict]]:
        """(addresses learnt at connect time, choices the customer must make, e.g. several businesses)."""
        return {}, []

    def token_expiry(self, response: dict) -> TokenSet:
        # Expiry from our own clock: a provider's `created_at` would import its clock skew.
        now = timezone.now()
        expires_in = response.get("expires_in")
        refresh_in = response.get("refresh_token_expires_in")
        return TokenSet(
            access_token=response["access_token"],
            refresh_token=response.get("refresh_token"),
            access_expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
            refresh_expires_at=now + timedelta(seconds=int(refresh_in)) if refresh_in else None,
        )

    # Refresh, outside social-auth's login machinery: called by connections.credentials.tokens under its claim.
    def refresh_params(self, connection) -> dict:
        client_id, client_secret = self.get_key_and_secret()
        params = {
            "grant_type": "refresh_token",
            "refresh_token": connection.refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
            **self.TOKEN_EXTRA,
        }
        if self.SEND_REDIRECT_URI_ON_REFRESH:
            params["redirect_uri"] = settings.PUBLIC_BASE_URL + reverse("oauth-complete", args=[self.name])
        return params

    def refresh_url(self, connection) -> str:
        return self.provider.base_url(self.host_for_token, connection.addresses) + self.TOKEN_PATH

    def get_user_id(self, details, response):
        return response.get("id") or ""


# The pipeline (settings.SOCIAL_AUTH_PIPELINE) ----------------------------------------------------------


def store_connection(backend, response, strategy, *args, **kwargs):
    """Write the tokens and addresses on the tenant's Connection, then send the customer to it.

    Returning a response ends the pipeline here: no user is looked up, created or logged in.
    """
    request = strategy.request
    intent = strategy.session_get(INTENT_KEY) or {}
    if intent.get("provider") != backend.provider_slug or intent.get("user") != getattr(request.user, "pk", None):
        messages.error(request, "That connection attempt had expired or was started elsewhere. Please start again.")
        return redirect("connection-list")
    if intent.get("tenant") != str(getattr(request, "tenant", None) and request.tenant.uuid):
        # The role was checked in the workspace the attempt started in; the tokens go nowhere else.
        strategy.session_pop(INTENT_KEY)
        messages.error(request, "You switched workspace while connecting, so nothing was connected. Start again here.")
        return redirect("connection-list")
    strategy.session_pop(INTENT_KEY)
    tenant = Tenant.objects.get(uuid=intent["tenant"])
    tokens = backend.token_expiry(response)
    learnt, choices = backend.addresses_from(response)
    with scope(tenant=tenant):
        connection = None
        if intent.get("reconnect"):
            connection = Connection.objects.filter(tenant=tenant, uuid=intent["reconnect"]).first()
        if connection is None:
            connection = Connection(tenant=tenant, provider=backend.provider_slug, label=intent["label"])
        connection.addresses = {**connection.addresses, **intent.get("addresses", {}), **learnt}
        connection.access_token = tokens.access_token
        connection.refresh_token = tokens.refresh_token
        connection.access_expires_at = tokens.access_expires_at
        connection.refresh_expires_at = tokens.refresh_expires_at
        connection.tokens_refreshed_at = timezone.now()
        connection.refresh_lost_at = None  # a new grant: what was lost of the old one no longer matters
        connection.error_source = ""
        connection.last_ping_at = connection.last_ping_ok = None
        connection.settings.pop("last_ping_message", None)
        connection.settings = {**connection.settings, "choices": choices} if choices else connection.settings
        needs_choice = bool(choices) and not all(
            connection.addresses.get(key) for key in registry.provider(backend.provider_slug).required_addresses
        )
        connection.status = Connection.Status.ERROR if needs_choice else Connection.Status.ACTIVE
        connection.last_error = "Choose which account to connect." if needs_choice else ""
        connection.save()
        audit.record(
            "connection.connected" if not intent.get("reconnect") else "connection.reconnected",
            tenant=tenant,
            connection=connection,
            actor=request.user,
            message=f"{request.user.email} connected {connection.provider_name} ({connection.label}).",
            data={"addresses": connection.addresses, "expires_at": str(tokens.access_expires_at)},
        )
    if needs_choice:
        return redirect("connection-choose", uuid=connection.uuid)
    messages.success(request, f"{connection.provider_name} is connected. Use Test connection to check it.")
    return redirect("connection-detail", uuid=connection.uuid)
