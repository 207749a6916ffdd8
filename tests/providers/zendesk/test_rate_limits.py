"""The account-wide rate limit of the Zendesk emulator: headers on every response, a text/plain 429 with
Retry-After, a window that resets, one budget per account, and faults that answer in Zendesk's shape."""

import requests

from tests.providers.zendesk.helpers import create_org, url


def test_every_response_carries_the_rate_limit_headers_with_700_by_default(admin_api):
    ok = admin_api.get(url("/api/v2/organizations.json"), timeout=5)
    missing = admin_api.get(url("/api/v2/organizations/1.json"), timeout=5)
    invalid = admin_api.post(url("/api/v2/organizations.json"), json={"organization": {"name": ""}}, timeout=5)

    for answer, remaining in ((ok, "699"), (missing, "698"), (invalid, "697")):
        assert answer.headers["x-rate-limit"] == "700"
        assert answer.headers["x-rate-limit-remaining"] == remaining
        assert answer.headers["ratelimit-limit"] == "700"
        assert answer.headers["ratelimit-remaining"] == remaining
        assert answer.headers["ratelimit-reset"] == "60"


def test_unauthenticated_calls_count_and_carry_the_headers_too(zendesk):
    answer = requests.get(url("/api/v2/organizations.json"), timeout=5)

    assert answer.status_code == 401
    assert answer.headers["x-rate-limit-remaining"] == "699"


def test_the_call_over_the_limit_gets_a_text_plain_429_with_retry_after(admin_api, zendesk, sandbox):
    zendesk.config["rate_limit_per_minute"] = 3
    for _ in range(3):
        assert admin_api.get(url("/api/v2/users/me.json"), timeout=5).status_code == 200
    sandbox.clock.advance(20)

    answer = admin_api.get(url("/api/v2/users/me.json"), timeout=5)

    assert answer.status_code == 429
    assert answer.text == "Number of allowed API requests per minute exceeded"
    assert len(answer.content) == 50
    assert answer.headers["Content-Type"] == "text/plain"
    assert answer.headers["Retry-After"] == "40"
    assert answer.headers["x-rate-limit"] == "3"
    assert answer.headers["x-rate-limit-remaining"] == "0"


def test_the_budget_comes_back_when_the_minute_is_over(admin_api, zendesk, sandbox):
    zendesk.config["rate_limit_per_minute"] = 1
    admin_api.get(url("/api/v2/users/me.json"), timeout=5)
    assert admin_api.get(url("/api/v2/users/me.json"), timeout=5).status_code == 429

    sandbox.clock.advance(60)

    assert admin_api.get(url("/api/v2/users/me.json"), timeout=5).status_code == 200


def test_each_account_has_its_own_budget(admin_api, zendesk):
    zendesk.config["rate_limit_per_minute"] = 1
    globex = zendesk.account("globex")
    other = requests.Session()
    other.auth = (f"{globex.admin.email}/token", zendesk.config["api_token"])
    admin_api.get(url("/api/v2/users/me.json"), timeout=5)

    answer = other.get(url("/api/v2/users/me.json", "globex"), timeout=5)

    assert answer.status_code == 200


def test_the_default_limit_holds_for_700_calls_and_refuses_the_701st(admin_api):
    statuses = [admin_api.get(url("/api/v2/users/me.json"), timeout=5).status_code for _ in range(701)]

    assert statuses[:700] == [200] * 700
    assert statuses[700] == 429


def test_a_429_fault_window_answers_in_zendesks_shape(admin_api, zendesk, sandbox):
    zendesk.faults.update({"rate_limit_seconds": 30, "retry_after": 30}, sandbox.clock.now())

    answer = admin_api.get(url("/api/v2/organizations.json"), timeout=5)

    assert answer.status_code == 429
    assert answer.text == "Number of allowed API requests per minute exceeded"
    assert answer.headers["Retry-After"] == "30"


def test_a_5xx_fault_answers_with_a_zendesk_style_error(admin_api, zendesk, sandbox):
    zendesk.faults.update({"error_rate": 1, "error_status": 503}, sandbox.clock.now())

    answer = admin_api.get(url("/api/v2/organizations.json"), timeout=5)

    assert answer.status_code == 503
    assert answer.json()["error"] == "ServiceUnavailable"


def test_incremental_exports_have_their_own_limit_with_a_json_429(admin_api, zendesk, sandbox):
    create_org(admin_api, "Exported")
    sandbox.clock.advance(120)
    for _ in range(10):
        answer = admin_api.get(url("/api/v2/incremental/organizations.json"), params={"start_time": 0}, timeout=5)
        assert answer.status_code == 200

    refused = admin_api.get(url("/api/v2/incremental/organizations.json"), params={"start_time": 0}, timeout=5)

    assert refused.status_code == 429
    assert refused.json() == {
        "error": "APIRateLimitExceeded",
        "description": "Number of allowed incremental export API requests per minute exceeded",
    }
    assert int(refused.headers["Retry-After"]) > 0
    assert admin_api.get(url("/api/v2/organizations.json"), timeout=5).status_code == 200


def test_token_requests_count_against_the_account_and_carry_the_headers(zendesk):
    answer = requests.post(url("/oauth/tokens"), json={"grant_type": "refresh_token", "refresh_token": "x"}, timeout=5)

    assert answer.status_code in (400, 401)
    assert answer.headers["x-rate-limit-remaining"] == "699"
