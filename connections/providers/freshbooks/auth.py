"""FreshBooks OAuth 2.0 (user-delegated): constants plus the hooks that differ from the shared flow.

Authorize on auth.freshbooks.com, exchange and refresh on api.freshbooks.com/auth/oauth/token (form body;
both grants send redirect_uri). Access tokens last 12 hours; refresh tokens never expire but work once and
rotate. The account lives at `business_memberships[].business.account_id` (accounting URLs) and `.id`
(business_id) of `users/me`; a user can belong to several businesses, so the customer picks one.
"""

from connections.credentials.oauth import ConnectorOAuth2


class Backend(ConnectorOAuth2):
    name = "freshbooks"
    provider_slug = "freshbooks"
    host_for_authorize = "auth"
    host_for_token = "api"
    AUTHORIZE_PATH = "/oauth/authorize"
    TOKEN_PATH = "/auth/oauth/token"
    ME_PATH = "/auth/api/v1/users/me"
    SEND_REDIRECT_URI_ON_REFRESH = True

    def user_data(self, access_token, *args, **kwargs):
        url = self.provider.base_url("api", {}) + self.ME_PATH
        return self.get_json(url, headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})

    def get_user_id(self, details, response):
        return str((response.get("response") or {}).get("id", ""))

    def get_user_details(self, response):
        return {}

    def addresses_from(self, response):
        return addresses_from_me(response)


def businesses(me: dict) -> list[dict]:
    """The businesses a users/me answer lets us connect, in the form the chooser shows."""
    found = []
    for membership in (me.get("response") or {}).get("business_memberships") or []:
        business = membership.get("business") or {}
        if business.get("account_id"):
            found.append(
                {
                    "account_id": str(business["account_id"]),
                    "business_id": business.get("id"),
                    "name": business.get("name") or str(business["account_id"]),
                    "role": membership.get("role", ""),
                }
            )
    return found


def addresses_from_me(me: dict) -> tuple[dict, list[dict]]:
    found = businesses(me)
    if len(found) == 1:
        return {"account_id": found[0]["account_id"], "business_id": found[0]["business_id"]}, []
    return {}, found
