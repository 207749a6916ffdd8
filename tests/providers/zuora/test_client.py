"""How the Zuora client reads Zuora's answers, and how its connect form reads an environment."""

import pytest

from connections.providers.errors import AuthExpired, Invalid, NotFound, Retryable, SetupMissing
from connections.providers.zuora import client as zuora
from connections.providers.zuora.forms import ZuoraCredentialsForm, environment_of_login


def failure(*codes, status=200):
    return zuora.error_in_body(
        status, {"success": False, "reasons": [{"code": code, "message": f"reason {code}"} for code in codes]}
    )


def test_a_failure_inside_http_200_is_an_error_by_its_category():
    assert isinstance(failure(50000040), NotFound)
    assert isinstance(failure(53100320), Invalid) and "53100320: reason 53100320" in failure(53100320).message
    for retried in (50000050, 50000061, 50000070, 50000099):
        assert isinstance(failure(retried), Retryable)
    assert isinstance(failure(50000010), SetupMissing) and "API Write Access" in failure(50000010).message
    assert isinstance(failure("90000011", status=401), AuthExpired)
    assert zuora.error_in_body(200, {"success": True, "id": "x"}) is None


def test_a_server_error_is_retried_whatever_its_body_says():
    """Zuora's advice is to retry 500, 502, 503 and 504; such an answer with `success: false` and category 60
    (internal) was read as a refusal, and the job failed for good on a passing outage."""
    for status in (500, 502, 503, 504):
        assert isinstance(failure(50000060, status=status), Retryable)
        crud = {"Errors": [{"Code": "UNKNOWN_ERROR", "Message": "try later"}], "Success": False}
        assert isinstance(zuora.error_in_body(status, crud), Retryable)
    assert isinstance(failure(50000060), Invalid), "category 60 in an HTTP 200 is still Zuora's refusal"


def test_the_other_error_families_are_read_too():
    crud = zuora.error_in_body(200, {"Errors": [{"Code": "INVALID_VALUE", "Message": "bad id"}], "Success": False})
    assert isinstance(crud, Invalid) and "bad id" in crud.message
    fault = zuora.error_in_body(400, {"FaultCode": "INVALID_FIELD", "FaultMessage": "invalid field for query"})
    assert isinstance(fault, Invalid)
    busy = zuora.error_in_body(429, {"code": "REQUEST_EXCEEDED_LIMIT", "message": "concurrent requests"})
    assert isinstance(busy, Retryable)


def test_a_key_still_in_flight_is_retried_and_a_key_reused_for_another_request_is_a_bug_report():
    assert isinstance(zuora.error_in_body(409, {"message": "in progress"}), Retryable)
    reused = zuora.error_in_body(422, {"message": "Idempotency key reused with a different request"})
    assert isinstance(reused, zuora.KeyReused) and not reused.retryable and "bug" in reused.message


def test_the_minute_window_of_the_rate_limit_headers_is_the_budget():
    headers = {
        "RateLimit-Limit": "2250000, 50000;w=60, 2250000;w=3600, 27000000;w=86400",
        "RateLimit-Remaining": "399",
        "RateLimit-Reset": "12",
    }
    assert zuora.rate_limit_of(headers) == {
        "limit": 50000,
        "remaining": 399,
        "window_seconds": 60,
        "reset_seconds": 12,
    }
    assert zuora.rate_limit_of({}) is None


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("https://apisandbox.zuora.com/apps/Home.do", "us-sandbox-2"),
        ("na.zuora.com", "us-production-1"),
        ("https://www.zuora.com", "us-production-2"),
        ("https://test.eu.zuora.com", "eu-test"),
        ("rest.ap.zuora.com", "ap-production"),
    ],
)
def test_the_login_address_names_the_environment(typed, key):
    assert environment_of_login(typed) == key


def base_form(**overrides):
    data = {"label": "Zuora", "client_id": "id", "client_secret": "secret", **overrides}
    return ZuoraCredentialsForm(data)


def test_the_form_takes_an_environment_by_name_or_by_login_address_and_says_when_they_disagree():
    assert base_form(environment="eu-production").is_valid()
    by_login = base_form(login_url="https://sandbox.na.zuora.com")
    assert by_login.is_valid() and by_login.connection_fields()["addresses"] == {"environment": "us-sandbox-1"}
    disagree = base_form(environment="eu-production", login_url="https://sandbox.na.zuora.com")
    assert not disagree.is_valid() and "not EU Production" in disagree.errors["login_url"][0]
    neither = base_form()
    assert not neither.is_valid() and "Choose the environment" in neither.errors["environment"][0]
    unknown = base_form(login_url="https://zuora.example.com")
    assert not unknown.is_valid() and "not one of Zuora's environments" in unknown.errors["login_url"][0]


FORM = {
    "label": "Zuora",
    "environment": "us-sandbox-2",
    "client_id": "sandbox-zuora-client",
    "client_secret": "sandbox-zuora-secret",
}


def zuora_connections(tenant):
    from django_scopes import scope

    from connections.models import Connection

    with scope(tenant=tenant):
        return list(Connection.objects.filter(provider="zuora"))


def test_connecting_zuora_proves_the_client_in_its_environment(sandbox, client_a, tenant_a):
    response = client_a.post(
        "/connections/connect/zuora/", {**FORM, "environment": "", "login_url": "apisandbox.zuora.com"}
    )
    [connection] = zuora_connections(tenant_a)
    assert response.status_code == 302 and connection.addresses == {"environment": "us-sandbox-2"}
    assert connection.status == "active" and connection.last_ping_ok and connection.access_expires_at is not None


def test_a_client_of_another_region_is_refused_with_its_own_message(sandbox, client_a, tenant_a):
    sandbox["zuora"].config["client_environments"] = ["eu-production"]
    page = client_a.post("/connections/connect/zuora/", FORM).content.decode()
    assert "refused these credentials" in page and "belong to US API Sandbox (Cloud 2)" in page
    assert zuora_connections(tenant_a) == []


def test_wrong_credentials_are_refused(sandbox, client_a, tenant_a):
    page = client_a.post("/connections/connect/zuora/", {**FORM, "client_secret": "nope"}).content.decode()
    assert "invalid_client" in page and zuora_connections(tenant_a) == []


def test_a_user_without_api_write_access_is_told_so_on_the_connect_page(sandbox, client_a, tenant_a):
    sandbox["zuora"].tenant("us-sandbox-2").flags["api_write_access"] = False
    page = client_a.post("/connections/connect/zuora/", FORM).content.decode()
    assert "lacks the API Write Access permission" in page and zuora_connections(tenant_a) == []
