"""The token endpoint and sessions: client credentials in the form or as HTTP Basic, the documented errors,
the shape of a success (no refresh token, no expires_in), the idle timeout each call resets, and the token
controls tests use to expire or revoke every session."""

import base64
import hashlib
import hmac

import requests

from tests.providers.salesforce.helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    connect,
    control,
    data_url,
    host,
    request_token,
    session_for,
)


def test_it_mints_a_token_for_form_credentials_in_the_documented_key_order(salesforce):
    answer = request_token()

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json;charset=UTF-8"
    token = answer.json()
    assert list(token) == ["access_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at"]
    org = salesforce.org("acme")
    assert token["access_token"].startswith(f"{org.id15}!")
    assert token["scope"] == "api"
    assert token["instance_url"] == "https://acme.my.salesforce.com"
    assert token["token_type"] == "Bearer"
    assert token["issued_at"] == str(int(salesforce.clock.now() * 1000))
    assert token["id"] == f"https://login.salesforce.com/id/{org.id}/{org.run_as_user()['Id']}"
    assert "refresh_token" not in token and "expires_in" not in token


def test_its_signature_is_an_hmac_of_id_and_issued_at_keyed_with_the_secret(salesforce):
    token = request_token().json()

    digest = hmac.new(CLIENT_SECRET.encode(), (token["id"] + token["issued_at"]).encode(), hashlib.sha256).digest()
    assert token["signature"] == base64.b64encode(digest).decode()


def test_it_accepts_the_key_and_secret_as_http_basic(salesforce):
    answer = requests.post(
        f"{host()}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
        timeout=5,
    )

    assert answer.status_code == 200
    assert answer.json()["token_type"] == "Bearer"


def test_it_answers_on_the_sandbox_and_developer_hosts_with_their_own_instance_url(salesforce):
    sandbox = requests.post(
        f"{host('acme--uat', 'sandbox')}/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=5,
    ).json()
    developer = requests.post(
        f"{host('acme-dev-ed', 'developer')}/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        timeout=5,
    ).json()

    assert sandbox["instance_url"] == "https://acme--uat.sandbox.my.salesforce.com"
    assert sandbox["id"].startswith("https://test.salesforce.com/id/")
    assert developer["instance_url"] == "https://acme-dev-ed.develop.my.salesforce.com"
    assert salesforce.org("acme--uat").edition == "sandbox"
    assert salesforce.org("acme-dev-ed").edition == "developer"
    assert salesforce.org("acme--uat").id != salesforce.org("acme").id


def test_the_shared_login_hosts_refuse_client_credentials(salesforce):
    for name in ("login", "test"):
        answer = request_token(name)

        assert answer.status_code == 400
        assert answer.json() == {"error": "invalid_grant", "error_description": "request not supported on this domain"}
    assert "login" not in salesforce.state["orgs"]


def test_it_refuses_wrong_credentials_grant_types_and_a_missing_grant_type(salesforce):
    wrong = request_token(client_secret="nope")
    unknown = request_token(client_id="someone-else")
    password = request_token(grant_type="password")
    missing = requests.post(
        f"{host()}/services/oauth2/token", data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, timeout=5
    )

    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == {"error": "invalid_client", "error_description": "invalid client credentials"}
    assert unknown.json()["error"] == "invalid_client"
    assert password.json() == {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
    assert missing.status_code == 400
    assert missing.json() == {"error": "invalid_request", "error_description": "grant type is missing"}


def test_an_app_without_a_run_as_user_gets_invalid_grant(salesforce):
    salesforce.config["run_as_user"] = ""

    answer = request_token()

    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "no client credentials user enabled"}


def test_it_counts_every_token_minted(salesforce):
    request_token()
    request_token()
    request_token("globex")

    assert salesforce.org("acme").tokens_minted == 2
    assert salesforce.state["tokens_minted"] == 3
    assert control(salesforce, "GET", "state")[1]["state"]["orgs"]["acme"]["tokens_minted"] == 2


def test_a_session_expires_after_the_idle_timeout_and_each_call_resets_it(salesforce, api, sandbox):
    salesforce.config["session_idle_seconds"] = 600
    api = connect()

    sandbox.clock.advance(500)
    assert api.get(data_url("/limits"), timeout=5).status_code == 200
    sandbox.clock.advance(500)
    assert api.get(data_url("/limits"), timeout=5).status_code == 200
    sandbox.clock.advance(601)
    expired = api.get(data_url("/limits"), timeout=5)

    assert expired.status_code == 401
    assert expired.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_expiring_every_token_makes_the_next_call_401_and_a_new_mint_works(salesforce, api):
    assert api.get(data_url("/limits"), timeout=5).status_code == 200

    status, body = control(salesforce, "POST", "tokens/expire")

    assert status == 200 and body == {"expire": 1}
    assert api.get(data_url("/limits"), timeout=5).status_code == 401
    assert connect().get(data_url("/limits"), timeout=5).status_code == 200


def test_revoking_a_token_ends_its_session(salesforce, api):
    token = api.headers["Authorization"].split()[1]

    answer = requests.post(f"{host()}/services/oauth2/revoke", data={"token": token}, timeout=5)

    assert answer.status_code == 200
    assert api.get(data_url("/limits"), timeout=5).json()[0]["errorCode"] == "INVALID_SESSION_ID"
    assert requests.post(f"{host()}/services/oauth2/revoke", data={"token": "nope"}, timeout=5).status_code == 400


def test_a_token_of_another_org_is_an_invalid_session(salesforce, api):
    answer = api.get(data_url("/limits", "globex"), timeout=5)

    assert answer.status_code == 401
    assert answer.json()[0]["errorCode"] == "INVALID_SESSION_ID"


def test_a_missing_authorization_header_is_invalid_auth_header(salesforce):
    answer = requests.get(data_url("/limits"), timeout=5)

    assert answer.status_code == 401
    assert answer.json() == [{"message": "INVALID_HEADER_TYPE", "errorCode": "INVALID_AUTH_HEADER"}]


def test_a_token_without_the_api_scope_is_not_valid_for_rest(salesforce):
    salesforce.config["scope"] = "cdp_query_api chatter_api"
    api = connect()

    answer = api.get(data_url("/limits"), timeout=5)

    assert answer.status_code == 401
    assert answer.json() == [
        {"message": "This session is not valid for use with the REST API", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_introspection_reports_the_session_and_its_moving_expiry(salesforce, api, sandbox):
    token = api.headers["Authorization"].split()[1]
    form = {"token": token, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "token_type_hint": "access_token"}

    first = requests.post(f"{host()}/services/oauth2/introspect", data=form, timeout=5).json()
    sandbox.clock.advance(100)
    api.get(data_url("/limits"), timeout=5)
    second = requests.post(f"{host()}/services/oauth2/introspect", data=form, timeout=5).json()
    salesforce.oauth.expire()
    third = requests.post(f"{host()}/services/oauth2/introspect", data=form, timeout=5).json()

    assert first["active"] is True and first["scope"] == "api"
    assert second["exp"] == first["exp"] + 100
    assert third == {"active": False}


def test_the_journal_masks_tokens_and_secrets(salesforce, api):
    api.get(data_url("/limits"), timeout=5)

    entries = salesforce.journal.entries()
    token_call, api_call = entries[0], entries[-1]
    secret_token = api.headers["Authorization"].split()[1]
    assert CLIENT_SECRET not in token_call.body
    assert secret_token not in token_call.response_body
    assert secret_token not in api_call.headers["Authorization"]


def test_a_session_for_an_unknown_user_is_refused(salesforce):
    assert session_for("00D000000000000!AQnothing").get(data_url("/limits"), timeout=5).status_code == 401
