"""Salesforce: Accounts and Opportunities written from FreshBooks (seed 004), Orders and Invoices read.

Facts and sources: `../shared/providers/salesforce.md`; what the sandbox emulates and what a customer sets up:
this package's README.

A connection is server to server (client credentials on the org's own My Domain host, never
login.salesforce.com). Its addresses are the My Domain label (`acme`, `acme--uat`, `acme-dev-ed`) and which of
the three published host forms it lives on (`edition`), so every call's host comes from a declared template.
"""

from connections.providers.base import AuthKind, Host, Provider, RateLimit

API_VERSION = "v66.0"  # Spring '26, the newest version the May 2026 recordings list

# The My Domain forms Salesforce serves OAuth and REST on (salesforce.md 1.3); the UI host
# `*.lightning.force.com` and the shared login hosts are not among them.
EDITIONS = {
    "production": "Production or Developer Edition with a plain My Domain",
    "sandbox": "Sandbox",
    "developer": "Developer Edition (-dev-ed.develop)",
}

PROVIDER = Provider(
    slug="salesforce",
    name="Salesforce",
    auth_kinds=(AuthKind.CLIENT_CREDENTIALS,),
    address_fields=("my_domain", "edition"),
    required_addresses=("my_domain", "edition"),
    host_choice="edition",
    hosts=(
        Host("production", "https://{my_domain}.my.salesforce.com", sandbox_path="/{my_domain}"),
        Host("sandbox", "https://{my_domain}.sandbox.my.salesforce.com", sandbox_path="/{my_domain}"),
        Host("developer", "https://{my_domain}.develop.my.salesforce.com", sandbox_path="/{my_domain}"),
    ),
    rate_limits=(
        # Rolling 24 h, shared by every integration of the org: 15,000 on Developer Edition, about
        # 100,000 + 1,000 per licence on Enterprise. `Sforce-Limit-Info` says the org's own figure.
        RateLimit(15_000, 86_400, "org", "daily API requests (Developer Edition); the org's own in Sforce-Limit-Info"),
        RateLimit(25, 0, "org", "concurrent requests running 20 s or more (5 on Developer Edition)"),
    ),
    docs_url="https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/",
    access="create and update Accounts and Opportunities, and read Opportunity stages, Orders and Invoices",
    extra={"api_version": API_VERSION, "editions": EDITIONS, "token_path": "/services/oauth2/token"},
)
