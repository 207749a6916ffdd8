"""How the Salesforce client reads Salesforce's answers: each error shape as our error type, in its own words."""

import pytest

from connections.providers.errors import (
    AuthExpired,
    Invalid,
    NotFound,
    RateLimited,
    Retryable,
    SetupMissing,
    SeveralRecords,
)
from connections.providers.salesforce import client as salesforce
from connections.providers.salesforce.forms import my_domain_of


def error(code, message, status=400):
    return salesforce.error_in_body(status, [{"message": message, "errorCode": code, "fields": []}])


def test_the_daily_allocation_spent_waits_long_and_a_concurrency_limit_retries_soon():
    spent = error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", 403)
    assert isinstance(spent, RateLimited) and spent.retry_after == salesforce.LIMIT_WAIT_SECONDS
    busy = error("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded.", 403)
    assert isinstance(busy, Retryable) and not isinstance(busy, RateLimited)
    assert isinstance(error("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access"), Retryable)


def test_a_300_names_the_records_and_is_never_a_guess():
    found = salesforce.error_in_body(
        300, ["/services/data/v66.0/sobjects/Account/001A", "/services/data/v66.0/sobjects/Account/001B"]
    )
    assert isinstance(found, SeveralRecords) and found.records == ["001A", "001B"]


def test_a_field_that_is_not_an_external_id_says_what_to_create():
    found = error(
        "NOT_FOUND", "Provided external ID field does not exist or is not accessible: FreshBooks_Client_Id__c", 404
    )
    assert isinstance(found, SetupMissing) and "Object Manager > Account" in found.message
    assert isinstance(error("NOT_FOUND", "The requested resource does not exist", 404), NotFound)
    query = error("INVALID_FIELD", "No such column 'FreshBooks_Invoice_Id__c' on entity 'Opportunity'.")
    assert isinstance(query, SetupMissing) and "on Opportunity" in query.message


def test_a_session_without_the_api_scope_says_how_to_fix_it():
    found = error("INVALID_SESSION_ID", "This session is not valid for use with the REST API", 401)
    assert isinstance(found, AuthExpired) and "`api` OAuth scope" in found.message
    assert isinstance(error("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Amount must be positive"), Invalid)


def test_edge_pages_and_empty_answers_are_transient():
    assert isinstance(salesforce.error_in_body(503, "<html>We are down for maintenance</html>"), Retryable)
    assert isinstance(salesforce.error_in_body(406, None), Retryable)
    assert salesforce.error_in_body(200, {"id": "001"}) is None


def test_the_limit_header_is_read_as_the_orgs_daily_budget():
    assert salesforce.rate_limit_of({"Sforce-Limit-Info": "api-usage=891/15000"}) == {
        "limit": 15000,
        "remaining": 14109,
        "window_seconds": 86400,
    }
    assert salesforce.rate_limit_of({}) is None


def test_soql_literals_escape_quotes_and_backslashes():
    assert salesforce.quoted("O'Brien \\ Sons") == "'O\\'Brien \\\\ Sons'"


@pytest.mark.parametrize(
    ("typed", "addresses"),
    [
        ("acme", {"my_domain": "acme", "edition": "production"}),
        ("https://acme.my.salesforce.com/lightning/page/home", {"my_domain": "acme", "edition": "production"}),
        ("ACME--UAT.sandbox.my.salesforce.com", {"my_domain": "acme--uat", "edition": "sandbox"}),
        ("acme-dev-ed.develop.my.salesforce.com", {"my_domain": "acme-dev-ed", "edition": "developer"}),
    ],
)
def test_my_domain_is_read_the_way_people_copy_it(typed, addresses):
    assert my_domain_of(typed) == addresses


def test_a_429_is_a_burst_to_wait_out_as_told_not_the_daily_allocation_spent():
    """Salesforce's daily allocation is a 403; a 429 (a burst, a proxy in front) used to pause the org for
    half an hour, whatever its Retry-After said."""
    assert error("REQUEST_LIMIT_EXCEEDED", "Too many requests.", 429) is None
    assert isinstance(error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", 403), RateLimited)
