"""The declarative Zendesk provider: registry, address, hosts built from the subdomain, limits."""

import pytest

from connections import registry
from connections.providers.base import AuthKind
from connections.providers.zendesk import DEFAULT_PLAN, PROVIDER, RATE_LIMITS_BY_PLAN


def test_it_is_registered_under_its_slug():
    assert registry.provider("zendesk") is PROVIDER
    assert registry.provider("zendesk").name == "Zendesk"


def test_it_offers_oauth_first_and_api_tokens_as_the_legacy_option():
    assert PROVIDER.auth_kinds == (AuthKind.OAUTH2_USER, AuthKind.API_TOKEN)


def test_it_needs_a_subdomain(settings):
    from django.core.exceptions import ValidationError

    PROVIDER.validate_addresses({"subdomain": "acme"}, require=True)
    with pytest.raises(ValidationError):
        PROVIDER.validate_addresses({}, require=True)


def test_the_api_host_is_built_from_the_subdomain(settings):
    settings.SANDBOX_URL = ""
    settings.ZENDESK_URL_TEMPLATE = ""

    assert PROVIDER.base_url("api", {"subdomain": "acme"}) == "https://acme.zendesk.com"


@pytest.mark.parametrize("subdomain", ["evil.com/x", "acme.evil", "", "a b"])
def test_a_subdomain_that_is_not_one_dns_label_is_refused(settings, subdomain):
    settings.SANDBOX_URL = ""
    settings.ZENDESK_URL_TEMPLATE = ""

    with pytest.raises(ValueError):
        PROVIDER.base_url("api", {"subdomain": subdomain})


def test_the_sandbox_keeps_the_subdomain_in_the_path(settings):
    settings.SANDBOX_URL = "http://127.0.0.1:8765"
    settings.ZENDESK_URL_TEMPLATE = ""

    assert PROVIDER.base_url("api", {"subdomain": "acme"}) == "http://127.0.0.1:8765/zendesk/acme"


def test_a_host_template_setting_wins(settings):
    settings.SANDBOX_URL = "http://127.0.0.1:8765"
    settings.ZENDESK_URL_TEMPLATE = "https://{subdomain}.zendesk.test"

    assert PROVIDER.base_url("api", {"subdomain": "acme"}) == "https://acme.zendesk.test"


def test_the_default_rate_limit_is_the_enterprise_700_per_minute_with_each_plan_published():
    account_limit = PROVIDER.rate_limits[0]

    assert (account_limit.requests, account_limit.per_seconds, account_limit.scope) == (700, 60, "account")
    assert RATE_LIMITS_BY_PLAN[DEFAULT_PLAN] == 700
    assert RATE_LIMITS_BY_PLAN["suite_team"] == 200
    assert RATE_LIMITS_BY_PLAN["suite_enterprise_plus"] == 2500


def test_a_refusal_counts_as_a_closed_ticket_only_when_it_names_the_status_and_the_ticket_is_closed(sandbox, tenant_a):
    """A note refused on a ticket closed meanwhile is skipped; any other 422 is a failure to see, even one whose
    message happens to contain the word "closed" (as the check used to read it)."""
    from django_scopes import scope

    from connections.providers.errors import Invalid
    from connections.providers.zendesk import client as zendesk
    from tests.helpers.billing import zendesk_account, zendesk_customer
    from tests.helpers.sandboxes import zendesk_connection

    connection = zendesk_connection(sandbox, tenant_a)
    _, _, [ticket] = zendesk_customer(sandbox, "Acme Corporation")
    other = Invalid("Comment: closed-loop replies are disabled", status=422, details={"details": {"comment": [{}]}})
    with scope(tenant=tenant_a):
        named_but_open = Invalid(
            "Status: closed prevents ticket update", status=422, details={"details": {"status": []}}
        )
        assert not zendesk.refused_as_closed(connection, ticket.id, named_but_open)
        zendesk_account(sandbox).tickets[ticket.id].status = "closed"
        with pytest.raises(Invalid) as refused:
            zendesk.add_internal_note(connection, ticket.id, "A note")
        assert zendesk.refused_as_closed(connection, ticket.id, refused.value)
        assert not zendesk.refused_as_closed(connection, ticket.id, other)
