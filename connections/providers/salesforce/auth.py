"""Connecting Salesforce: client credentials posted to the org's own My Domain host, minted again on a 401.

The token answer has no refresh token and no `expires_in` (the session lapses after an idle timeout the org
sets), so renewal is a new mint when Salesforce says `INVALID_SESSION_ID`. Its `instance_url` is where every
later call goes: it is accepted only when it is one of the My Domain forms the provider declares, and the
connection's addresses follow it (an org whose My Domain was renamed keeps working).
"""

from connections.credentials.client_credentials import ClientCredentialsGrant
from connections.providers.errors import UnsafeHost
from connections.providers.salesforce import PROVIDER


class SalesforceGrant(ClientCredentialsGrant):
    token_path = "/services/oauth2/token"

    def refused_advice(self, connection) -> str:
        return (
            "Check the consumer key and secret, that the client credentials flow is enabled and that a Run As "
            "user is set."
        )

    def addresses_from(self, connection, body: dict) -> dict:
        instance_url = body.get("instance_url")
        found = PROVIDER.match_base_url(instance_url, prefer=self.host_for(connection))
        if found is None:
            raise UnsafeHost(
                f"Salesforce answered with the instance address {instance_url!r}, which is not a My Domain "
                "address (https://<name>.my.salesforce.com, its sandbox or Developer Edition form); nothing was "
                "called there.",
                provider=PROVIDER.slug,
            )
        edition, values = found
        return {"my_domain": values["my_domain"], "edition": edition}


GRANT = SalesforceGrant()
