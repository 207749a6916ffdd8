"""Connecting Zuora: client credentials posted to the chosen environment's own REST host.

Tokens last about an hour and say so (`expires_in`, read every time: old tenants were given 12 hours), carry
no refresh token, and are minted again shortly before they expire or on a 401.
"""

from connections.credentials.client_credentials import ClientCredentialsGrant
from connections.providers.errors import SetupMissing
from connections.providers.zuora import ENVIRONMENTS


class ZuoraGrant(ClientCredentialsGrant):
    token_path = "/oauth/token"

    def refused_advice(self, connection) -> str:
        name = ENVIRONMENTS.get(connection.addresses.get("environment"), ("the chosen environment",))[0]
        return (
            f"Check the client ID and secret, and that they belong to {name}: each environment (and sandbox and "
            "production) has its own OAuth clients."
        )

    def addresses_from(self, connection, body: dict) -> dict:
        """A token without `platform.write` in its scope belongs to a user who cannot write (our reading of the
        scope Zuora returns; the README says so): refused here, before anything is saved or synced."""
        if "platform.write" not in str(body.get("scope") or "").split():
            raise SetupMissing(
                "Zuora issued a token, but its user lacks the API Write Access permission, so no Account, Invoice "
                "or Payment could be written. Give the OAuth client's user API Write Access (Settings > "
                "Administration > Manage User Roles), then connect again.",
                provider="zuora",
            )
        return {}


GRANT = ZuoraGrant()
