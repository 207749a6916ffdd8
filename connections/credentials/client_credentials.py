"""Client-credentials connections: a token minted from the consumer key and secret, minted again when it lapses.

Server-to-server providers (Salesforce, Zuora) issue no refresh token, so renewing is asking again with the
credentials the connection keeps (the key in `settings["client_id"]`, the secret encrypted). A provider's
`auth.py` subclasses `ClientCredentialsGrant` with its token path and host and, where the token answer says
where the account lives (Salesforce's `instance_url`), `addresses_from()`, which checks that address against
the provider's declared hosts before anything is called there. `connections.credentials.tokens` mints under
the connection's refresh claim, like a refresh; the connect form mints once before saving anything.
"""

from datetime import timedelta

from django.utils import timezone

from connections import registry
from connections.credentials import token_endpoint
from connections.credentials.oauth import TokenSet
from connections.credentials.token_endpoint import InvalidGrant
from connections.models import Connection
from connections.providers.errors import ProviderError, UnsafeHost


class ClientCredentialsGrant:
    token_path = "/oauth2/token"  # noqa: S105 - a path, not a secret
    # "form": client_id and client_secret in the body; "basic": HTTP Basic (RFC 6749 2.3.1).
    send_credentials = "form"

    def host_for(self, connection) -> str:
        """The host the token endpoint is on: the connection's own by default (`Provider.host_for`)."""
        return registry.provider(connection.provider).host_for(connection.addresses)

    def token_url(self, connection) -> str:
        provider = registry.provider(connection.provider)
        try:
            return provider.base_url(self.host_for(connection), connection.addresses) + self.token_path
        except (ValueError, LookupError) as exc:
            raise UnsafeHost(str(exc), provider=connection.provider) from None

    def params(self, connection) -> dict:
        return {"grant_type": "client_credentials"}

    def refused_advice(self, connection) -> str:
        """What to check when the token endpoint refuses the credentials, in the provider's terms."""
        return "Check the client id and secret."

    def addresses_from(self, connection, body: dict) -> dict:
        """Addresses the token answer teaches (checked against the provider's hosts); {} when none."""
        return {}

    def token_set(self, body: dict) -> TokenSet:
        expires_in = body.get("expires_in")
        expires = timezone.now() + timedelta(seconds=int(expires_in)) if expires_in else None
        return TokenSet(access_token=body["access_token"], refresh_token=None, access_expires_at=expires)


def grant_of(connection) -> ClientCredentialsGrant:
    return registry.part(connection.provider, "auth")


def mint(connection) -> tuple[TokenSet, dict]:
    """(the new token, the addresses its answer teaches); raises InvalidGrant, Retryable or UnsafeHost."""
    grant = grant_of(connection)
    client_id, client_secret = connection.settings.get("client_id", ""), connection.client_secret or ""
    data, auth = grant.params(connection), None
    if grant.send_credentials == "basic":
        auth = (client_id, client_secret)
    else:
        data = {**data, "client_id": client_id, "client_secret": client_secret}
    body = token_endpoint.post(connection, grant.token_url(connection), what="token request", data=data, auth=auth)
    return grant.token_set(body), grant.addresses_from(connection, body)


def try_credentials(tenant, provider, label: str, fields: dict, existing=None):
    """(the saved connection, a warning or "") when a token is issued and the API answers; (None, why) else.

    Nothing is stored before both work: the trial connection lives in memory until then, and a reconnect
    replaces the existing connection's credentials only with ones that were just proven.
    """
    trial = Connection(tenant=tenant, provider=provider.slug, label=label, **fields)
    try:
        token, learnt = mint(trial)
    except InvalidGrant as exc:
        advice = grant_of(trial).refused_advice(trial)
        return None, f"{provider.name} refused these credentials ({exc}). {advice} Nothing was saved."
    except ProviderError as exc:
        return None, f"{provider.name} could not issue a token: {exc.message} Nothing was saved."
    trial.access_token, trial.access_expires_at = token.access_token, token.access_expires_at
    trial.addresses = {**trial.addresses, **learnt}
    try:
        ok, message = registry.part(provider.slug, "client").ping(trial)
    except ProviderError as exc:
        return None, f"{provider.name} issued a token, but its API refused it: {exc.message} Nothing was saved."
    connection = existing or trial
    if existing is not None:
        for name in ("label", "addresses", "client_secret", "access_token", "access_expires_at"):
            setattr(existing, name, getattr(trial, name))
        existing.settings = {**existing.settings, **trial.settings}
    now = timezone.now()
    connection.status, connection.last_error, connection.error_source = Connection.Status.ACTIVE, "", ""
    connection.tokens_refreshed_at = connection.last_ping_at = now
    connection.last_ping_ok = ok
    connection.settings = {**connection.settings, "last_ping_message": message}
    connection.save()
    return connection, "" if ok else message
