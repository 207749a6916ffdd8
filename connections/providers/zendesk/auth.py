"""Zendesk OAuth 2.0: constants plus the hooks that differ from the shared flow.

Everything lives on the customer's own host, `https://{subdomain}.zendesk.com`, so the subdomain is asked
for before the redirect. The token request body is JSON. Zendesk omits `expires_in` from the token answer
unless the request sends it, and then the expiry would be unknown, so both the code exchange and the refresh
ask for one (`TOKEN_EXPIRES_IN`, within Zendesk's 300 s .. 2 days). Refresh tokens rotate and work once.
API tokens (`{email}/token:{token}`, basic auth) are the legacy alternative, retired by Zendesk on 2027-04-30.
"""

from connections.credentials.oauth import ConnectorOAuth2

TOKEN_EXPIRES_IN = 86400


class Backend(ConnectorOAuth2):
    name = "zendesk"
    provider_slug = "zendesk"
    host_for_authorize = "api"
    host_for_token = "api"
    AUTHORIZE_PATH = "/oauth/authorizations/new"
    TOKEN_PATH = "/oauth/tokens"
    ACCESS_TOKEN_PAYLOAD = "json"
    TOKEN_EXTRA = {"expires_in": TOKEN_EXPIRES_IN}

    def user_data(self, access_token, *args, **kwargs):
        url = self.provider.base_url("api", self.addresses_for_hosts()) + "/api/v2/users/me.json"
        return self.get_json(url, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})

    def get_user_id(self, details, response):
        return str((response.get("user") or {}).get("id", ""))

    def get_user_details(self, response):
        return {}
