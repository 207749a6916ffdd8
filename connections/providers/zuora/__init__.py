"""Zuora Billing: Accounts, standalone Invoices and External Payments written from FreshBooks (seed 001).

Facts and sources: `../shared/providers/zuora.md`; what the sandbox emulates and what a customer sets up: this
package's README.

A connection is server to server (client credentials, an OAuth client of one tenant). Zuora serves each tenant
from one of ten regional environments, each its own REST host: the connection stores which (`environment`, a
key of `ENVIRONMENTS`), never a URL, and every call's host comes from that key.
"""

from connections.providers.base import AuthKind, Host, Provider, RateLimit

# key: (name shown, REST base URL, UI host people log in at) -- zuora.md section 1, "Base URLs".
ENVIRONMENTS = {
    "us-test": ("US Developer & Central Sandbox", "https://rest.test.zuora.com", "test.zuora.com"),
    "us-sandbox-1": ("US API Sandbox (Cloud 1)", "https://rest.sandbox.na.zuora.com", "sandbox.na.zuora.com"),
    "us-sandbox-2": ("US API Sandbox (Cloud 2)", "https://rest.apisandbox.zuora.com", "apisandbox.zuora.com"),
    "us-production-1": ("US Production (Cloud 1)", "https://rest.na.zuora.com", "na.zuora.com"),
    "us-production-2": ("US Production (Cloud 2)", "https://rest.zuora.com", "zuora.com"),
    "eu-test": ("EU Developer & Central Sandbox", "https://rest.test.eu.zuora.com", "test.eu.zuora.com"),
    "eu-sandbox": ("EU API Sandbox", "https://rest.sandbox.eu.zuora.com", "sandbox.eu.zuora.com"),
    "eu-production": ("EU Production", "https://rest.eu.zuora.com", "eu.zuora.com"),
    "ap-test": ("APAC Developer & Central Sandbox", "https://rest.test.ap.zuora.com", "test.ap.zuora.com"),
    "ap-production": ("APAC Production", "https://rest.ap.zuora.com", "ap.zuora.com"),
}
# API requests a minute by tenant type (zuora.md 6): production and Central Sandbox, Developer Sandbox, API Sandbox.
REQUESTS_PER_MINUTE = {"production": 50_000, "developer": 12_500, "api_sandbox": 2_500}

PROVIDER = Provider(
    slug="zuora",
    name="Zuora",
    auth_kinds=(AuthKind.CLIENT_CREDENTIALS,),
    address_fields=("environment",),
    required_addresses=("environment",),
    host_choice="environment",
    hosts=tuple(Host(key, url, sandbox_path=f"/{key}") for key, (_, url, _) in ENVIRONMENTS.items()),
    rate_limits=(
        RateLimit(REQUESTS_PER_MINUTE["api_sandbox"], 60, "tenant", "API Sandbox; 50,000 in production (RateLimit-*)"),
        RateLimit(40, 0, "tenant", "concurrent requests (200 for high-volume transactions)"),
    ),
    docs_url="https://developer.zuora.com/v1-api-reference/introduction/",
    access="create and read Accounts, post Invoices and record External Payments in Zuora Billing",
    extra={"environments": ENVIRONMENTS, "token_path": "/oauth/token"},
)
