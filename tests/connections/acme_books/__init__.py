"""A throwaway provider, registered by one test alone: what a new system needs and nothing more (its
declaration, an OAuth backend, a client with a ping, and an emulator), to show that adding one edits no
shared module (tests/connections/test_adding_a_provider.py)."""

from connections.providers.base import AuthKind, Host, Provider

PROVIDER = Provider(
    slug="acmebooks",
    name="Acme Books",
    auth_kinds=(AuthKind.OAUTH2_USER,),
    address_fields=("ledger",),
    scopes=("ledger:read",),
    hosts=(Host("api", "https://api.acmebooks.example", "ACMEBOOKS_API_URL"),),
    access="read your ledger",
)
