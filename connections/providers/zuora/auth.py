"""Connecting Zuora: client credentials posted to the chosen environment's own REST host.

Tokens last about an hour and say so (`expires_in`, read every time: old tenants were given 12 hours), carry
no refresh token, and are minted again shortly before they expire or on a 401.
"""

from connections.credentials.client_credentials import ClientCredentialsGrant


class ZuoraGrant(ClientCredentialsGrant):
    token_path = "/oauth/token"


GRANT = ZuoraGrant()
