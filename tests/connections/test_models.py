from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from connections.models import Connection, Integration
from tests.factories import ConnectionFactory


def test_an_integration_cannot_join_connections_of_two_tenants_even_without_clean(connection_a, connection_b):
    with scopes_disabled(), pytest.raises(ValidationError, match="own workspace"):
        Integration.objects.create(
            tenant=connection_a.tenant, kind="test_flow", source=connection_a, target=connection_b
        )


def test_an_integration_needs_two_different_connections(connection_a):
    integration = Integration(tenant=connection_a.tenant, kind="test_flow", source=connection_a, target=connection_a)
    with pytest.raises(ValidationError, match="different"):
        integration.clean()


def test_polling_more_often_than_once_a_minute_is_refused(connection_a, tenant_a):
    with scopes_disabled():
        target = ConnectionFactory(tenant=tenant_a, provider="testtarget", addresses={"subdomain": "x"})
    integration = Integration(
        tenant=tenant_a, kind="test_flow", source=connection_a, target=target, poll_interval=timedelta(seconds=5)
    )
    with pytest.raises(ValidationError, match="once a minute"):
        integration.clean()


def test_connection_addresses_are_validated_per_provider(tenant_a):
    connection = Connection(tenant=tenant_a, provider="testtarget", label="Desk", addresses={"realm_id": "1"})
    with pytest.raises(ValidationError, match="no address field"):
        connection.clean()
    connection.addresses = {}
    with pytest.raises(ValidationError, match="needs: subdomain"):
        connection.clean()
    connection.addresses = {"subdomain": "acme"}
    connection.clean()


def test_an_unknown_provider_is_refused(tenant_a):
    with pytest.raises(ValidationError, match="Unknown provider"):
        Connection(tenant=tenant_a, provider="nope", label="x").clean()
