"""Zendesk Support: the target of the FreshBooks and QuickBooks flows (organizations, internal notes).

Facts and sources: `../shared/providers/zendesk.md`; what the sandbox emulates: this package's README.
"""

from connections.providers.base import AuthKind, Host, Provider, RateLimit

# Support API requests per minute by plan, account-wide (developer.zendesk.com/api-reference/introduction/
# rate-limits). Suite plans first, then the legacy Support plans; the High Volume API add-on raises Growth
# and above to 2500.
RATE_LIMITS_BY_PLAN = {
    "suite_team": 200,
    "suite_growth": 400,
    "suite_professional": 400,
    "suite_enterprise": 700,
    "suite_enterprise_plus": 2500,
    "support_essential": 10,
    "support_team": 200,
    "support_professional": 400,
    "support_enterprise": 700,
    "high_volume_api": 2500,
}
DEFAULT_PLAN = "suite_enterprise"

PROVIDER = Provider(
    slug="zendesk",
    name="Zendesk",
    # OAuth is primary; API tokens (`{email}/token:{token}`) are legacy and end on 2027-04-30.
    auth_kinds=(AuthKind.OAUTH2_USER, AuthKind.API_TOKEN),
    address_fields=("subdomain",),
    required_addresses=("subdomain",),
    hosts=(
        Host(
            "api",
            "https://{subdomain}.zendesk.com",
            setting="ZENDESK_URL_TEMPLATE",
            sandbox_path="/{subdomain}",
        ),
    ),
    # `read` covers GETs (incremental export, users/me), `write` covers POST/PUT/DELETE (organizations,
    # notes, webhooks). Per-resource scopes (`organizations:write`) exist; a wrong scope still yields a
    # token and then 403 on use.
    scopes=("read", "write"),
    rate_limits=(
        RateLimit(RATE_LIMITS_BY_PLAN[DEFAULT_PLAN], 60, "account", "Support API; depends on the plan"),
        RateLimit(10, 60, "account", "incremental exports (30 with the High Volume API add-on)"),
        RateLimit(30, 600, "ticket", "updates of one ticket by one user"),
        RateLimit(100, 60, "account", "Webhooks API"),
    ),
    docs_url="https://developer.zendesk.com/api-reference/",
    access="read and update organizations and add internal notes to tickets",
    extra={"rate_limits_by_plan": RATE_LIMITS_BY_PLAN, "default_plan": DEFAULT_PLAN},
)
