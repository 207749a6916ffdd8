"""An integration's options through the API get the same checks as on its page (`Flow.clean_options`)."""

import pytest
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from syncs.flows.freshbooks_zendesk import SLUG
from tests.factories import ConnectionFactory, IntegrationFactory


@pytest.fixture
def billing(tenant_a):
    with scopes_disabled():
        source = ConnectionFactory(tenant=tenant_a, provider="freshbooks", label="Books")
        target = ConnectionFactory(tenant=tenant_a, provider="zendesk", label="Support")
        return IntegrationFactory(tenant=tenant_a, kind=SLUG, source=source, target=target)


@pytest.fixture
def api_a(owner_a):
    api = APIClient()
    api.force_authenticate(owner_a)
    return api


def patch(api, integration, options):
    return api.patch(f"/api/v1/integrations/{integration.uuid}/", {"options": options}, format="json")


def test_known_options_of_the_right_kind_are_saved(api_a, billing):
    response = patch(api_a, billing, {"recent_invoices": 5, "summary_field": "details", "expenses": False})
    assert response.status_code == 200
    billing.refresh_from_db()
    assert billing.options == {"recent_invoices": 5, "summary_field": "details", "expenses": False}


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"colour": "blue"}, "colour: this integration has no such option."),
        ({"recent_invoices": 50}, "Invoices listed in the summary: between 1 and 10."),
        ({"recent_invoices": "five"}, "Invoices listed in the summary: a number, please."),
        ({"expenses": "yes"}, "Expenses of a client: summary section and ticket notes: true or false, please."),
        ({"summary_field": "tags"}, "Organization field that holds the summary: choose one of notes, details."),
        ({"auto_link": 50, "review": 70}, "Asking a person must start at or below the automatic link score."),
    ],
)
def test_a_wrong_option_is_refused_with_the_pages_words_and_nothing_is_saved(api_a, billing, options, error):
    response = patch(api_a, billing, options)
    assert response.status_code == 400
    assert error in response.json()["options"]
    billing.refresh_from_db()
    assert billing.options == {}


def test_a_threshold_is_checked_against_the_saved_one(api_a, billing):
    assert patch(api_a, billing, {"auto_link": 80}).status_code == 200
    response = patch(api_a, billing, {"review": 85})
    assert response.status_code == 400
    assert response.json()["options"] == ["Asking a person must start at or below the automatic link score."]


def test_options_that_are_not_an_object_are_refused(api_a, billing):
    response = patch(api_a, billing, ["recent_invoices"])
    assert response.status_code == 400
    assert response.json()["options"] == ["Options must be a JSON object."]


@pytest.mark.parametrize(
    ("value", "seconds"), [("00:15:00", 900), ("01:00:00", 3600), ("1 00:00:00", 86400), (None, None)]
)
def test_the_poll_interval_is_written_as_it_is_read(api_a, billing, value, seconds):
    response = api_a.patch(f"/api/v1/integrations/{billing.uuid}/", {"poll_interval": value}, format="json")
    assert response.status_code == 200
    assert response.json()["poll_interval"] == value
    billing.refresh_from_db()
    assert (billing.poll_interval and billing.poll_interval.total_seconds()) == seconds


@pytest.mark.parametrize(
    "body",
    [
        {"poll_interval": "00:00:30"},
        {"poll_interval": "900"},
        {"poll_interval": 900},
        {"poll_interval": "714360650 59:34:31.9"},  # overflowed PostgreSQL's interval: a 500
        {"enabled": 1},
        {"enabled": "yes"},
    ],
)
def test_what_the_schema_does_not_admit_is_a_400(api_a, billing, body):
    response = api_a.patch(f"/api/v1/integrations/{billing.uuid}/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(body)


def test_integrations_take_json_only(api_a, billing):
    response = api_a.patch(f"/api/v1/integrations/{billing.uuid}/", {"enabled": "true"})  # multipart
    assert response.status_code == 415
