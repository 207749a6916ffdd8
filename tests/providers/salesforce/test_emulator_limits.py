"""The org's rolling daily API allowance: `Sforce-Limit-Info` on every versioned call, 403 TotalRequests at
the cap, the long-running-call fault, the versions list outside the allowance, `/limits`, and the headers a
real org sends."""

import requests

from tests.providers.salesforce.helpers import connect, control, create, data_url, error_code, host, soql


def test_every_versioned_answer_counts_one_call_in_sforce_limit_info(salesforce, api):
    first = api.get(data_url("/limits"), timeout=5)
    second = api.get(data_url("/sobjects/"), timeout=5)

    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    assert second.headers["Sforce-Limit-Info"] == "api-usage=2/15000"
    assert first.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert first.headers["Server"] == "sfdcedge"
    assert len(first.headers["X-Sfdc-Request-Id"]) == 32


def test_the_header_is_there_on_204_and_error_answers_too(salesforce, api):
    account = create(api, "Account", Name="Initech")
    updated = api.patch(data_url(f"/sobjects/Account/{account}"), json={"Phone": "555"}, timeout=5)
    failed = api.post(data_url("/sobjects/Account/"), json={}, timeout=5)

    assert updated.status_code == 204 and updated.headers["Sforce-Limit-Info"] == "api-usage=2/15000"
    assert failed.status_code == 400 and failed.headers["Sforce-Limit-Info"] == "api-usage=3/15000"


def test_the_versions_list_needs_no_token_is_not_counted_and_has_no_limit_header(salesforce, api):
    answer = requests.get(f"{host()}/services/data/", timeout=5)

    versions = answer.json()
    assert answer.status_code == 200
    assert "Sforce-Limit-Info" not in answer.headers
    assert versions[0] == {"label": "Summer '14", "url": "/services/data/v31.0", "version": "31.0"}
    assert versions[-1] == {"label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0"}
    labels = {v["version"]: v["label"] for v in versions}
    assert labels["42.0"] == "Spring \u201918"
    assert labels["46.0"] == "Summer '19" and labels["59.0"] == "Winter '24" and labels["65.0"] == "Winter '26"
    assert salesforce.org("acme").api_usage() == 0


def test_at_the_cap_calls_get_403_total_requests_and_are_not_counted(salesforce, api):
    status, body = control(salesforce, "POST", "usage", {"my_domain": "acme", "used": 14999})
    assert status == 200 and body["used"] == 14999

    last = api.get(data_url("/limits"), timeout=5)
    refused = api.get(data_url("/limits"), timeout=5)

    assert last.status_code == 200 and last.headers["Sforce-Limit-Info"] == "api-usage=15000/15000"
    assert refused.status_code == 403
    assert refused.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    assert refused.headers["Sforce-Limit-Info"] == "api-usage=15000/15000"
    assert "Retry-After" not in refused.headers


def test_usage_is_a_rolling_24_hours(salesforce, api, sandbox):
    control(salesforce, "POST", "usage", {"my_domain": "acme", "used": 15000})
    assert api.get(data_url("/limits"), timeout=5).status_code == 403

    sandbox.clock.advance(86_400 + 60)

    fresh = connect().get(data_url("/limits"), timeout=5)
    assert fresh.headers["Sforce-Limit-Info"] == "api-usage=1/15000"


def test_the_allowance_is_a_setting(salesforce, api):
    salesforce.config["daily_api_requests"] = 100000

    assert api.get(data_url("/limits"), timeout=5).headers["Sforce-Limit-Info"] == "api-usage=1/100000"


def test_the_long_running_fault_fails_the_next_calls_with_concurrent_per_org(salesforce, api):
    control(salesforce, "POST", "usage", {"my_domain": "acme", "long_running_failures": 2})

    answers = [api.get(data_url("/limits"), timeout=5) for _ in range(3)]

    assert [a.status_code for a in answers] == [403, 403, 200]
    assert answers[0].json() == [
        {"message": "ConcurrentPerOrgLongTxn Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    assert answers[2].headers["Sforce-Limit-Info"] == "api-usage=1/15000"


def test_orgs_have_separate_allowances(salesforce, api):
    control(salesforce, "POST", "usage", {"my_domain": "globex", "used": 15000})

    assert api.get(data_url("/limits"), timeout=5).status_code == 200


def test_limits_reports_daily_api_requests_with_capitalised_keys(salesforce, api):
    control(salesforce, "POST", "usage", {"my_domain": "acme", "used": 24})

    limits = api.get(data_url("/limits"), timeout=5).json()

    assert limits["DailyApiRequests"] == {"Max": 15000, "Remaining": 14975}
    assert {"DailyBulkApiBatches", "DataStorageMB", "SingleEmailMessages"} <= set(limits)
    assert all(set(v) == {"Max", "Remaining"} for v in limits.values())


def test_any_version_is_accepted_and_a_malformed_one_is_not_found(salesforce, api):
    assert api.get(data_url("/limits", version="v59.0"), timeout=5).status_code == 200
    assert api.get(data_url("/limits", version="latest"), timeout=5).status_code == 404


def test_unknown_paths_answer_salesforce_not_found(salesforce, api):
    answer = api.get(f"{host()}/services/nothing", timeout=5)

    assert answer.status_code == 404
    assert error_code(answer) == "NOT_FOUND"


def test_base_faults_answer_in_salesforce_style(salesforce, api):
    control(salesforce, "POST", "faults", {"error_rate": 1.0})

    answer = soql(api, "SELECT Id FROM Account")

    assert answer.status_code == 503
    assert error_code(answer) == "SERVER_UNAVAILABLE"
