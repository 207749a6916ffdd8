"""FreshBooks: invoices, payments, expenses and clients of a small business (source system of four flows).

Facts and sources: ../shared/providers/freshbooks.md and README.md in this package.
"""

from connections.providers.base import AuthKind, Host, Provider

PROVIDER = Provider(
    slug="freshbooks",
    name="FreshBooks",
    auth_kinds=(AuthKind.OAUTH2_USER,),
    # account_id (e.g. "ZyQ04o") addresses accounting and events URLs; business_id (int) projects and time
    # tracking. A user may belong to several businesses, so both are chosen at connect time from users/me.
    address_fields=("account_id", "business_id"),
    required_addresses=("account_id",),
    scopes=(
        "user:profile:read",
        "user:clients:read",
        "user:clients:write",
        "user:invoices:read",
        "user:invoices:write",
        "user:payments:read",
        "user:payments:write",
        "user:expenses:read",
        "user:expenses:write",
        "user:projects:read",  # an expense tagged with a project is posted to the project's client
    ),
    # FreshBooks publishes no numeric rate limit; it answers 429 (honour Retry-After when present).
    rate_limits=(),
    hosts=(
        # The token URL and every API call are on api.freshbooks.com; only the consent page is on auth.
        Host("api", "https://api.freshbooks.com", "FRESHBOOKS_API_URL"),
        Host("auth", "https://auth.freshbooks.com", "FRESHBOOKS_AUTH_URL"),
    ),
    docs_url="https://www.freshbooks.com/api/start",
    access="read your clients, invoices, payments, expenses and projects",
    extra={
        "authorize_path": "/oauth/authorize",
        "token_path": "/auth/oauth/token",
        "me_path": "/auth/api/v1/users/me",
        "access_token_ttl": 43200,
        "refresh_tokens": "single-use, rotating",
        "webhook_signature_header": "X-FreshBooks-Hmac-SHA256",
    },
)
