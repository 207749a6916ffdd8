"""OAuth on the Zendesk emulator: the consent page, /oauth/tokens with JSON bodies, `expires_in` only when
asked, single-use rotating refresh tokens that delete the previous pair, PKCE, and a journal without secrets."""

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.providers.zendesk.helpers import url

REDIRECT = "https://app.example/oauth/zendesk/callback"


def authorize(zendesk, *, state="s-1", scope="read write", subdomain="acme", **extra):
    """Walks the consent page: GET the form, POST "allow", return the query of the redirect."""
    params = {
        "response_type": "code",
        "client_id": zendesk.config["oauth_client_id"],
        "redirect_uri": REDIRECT,
        "scope": scope,
        "state": state,
        **extra,
    }
    page = requests.get(url("/oauth/authorizations/new", subdomain), params=params, timeout=5)
    assert page.status_code == 200
    assert "Allow" in page.text
    decision = requests.post(
        url("/oauth/authorizations", subdomain), data={**params, "decision": "allow"}, allow_redirects=False, timeout=5
    )
    assert decision.status_code == 302
    location = decision.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(zendesk, code, subdomain="acme", **extra):
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": zendesk.config["oauth_client_id"],
        "client_secret": zendesk.config["oauth_client_secret"],
        "redirect_uri": REDIRECT,
        "scope": "read write",
        **extra,
    }
    return requests.post(url("/oauth/tokens", subdomain), json=body, timeout=5)


def refresh(zendesk, refresh_token, **extra):
    body = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": zendesk.config["oauth_client_id"],
        "client_secret": zendesk.config["oauth_client_secret"],
        **extra,
    }
    return requests.post(url("/oauth/tokens"), json=body, timeout=5)


def me(token, subdomain="acme"):
    return requests.get(
        url("/api/v2/users/me.json", subdomain), headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def test_the_consent_page_redirects_back_with_a_code_and_the_state(zendesk):
    query = authorize(zendesk, state="xyz")

    assert query["state"] == "xyz"
    assert query["code"]


def test_denying_consent_redirects_back_with_access_denied(zendesk):
    params = {"response_type": "code", "client_id": zendesk.config["oauth_client_id"], "redirect_uri": REDIRECT}

    answer = requests.post(
        url("/oauth/authorizations"),
        data={**params, "state": "s", "decision": "deny"},
        allow_redirects=False,
        timeout=5,
    )

    assert parse_qs(urlsplit(answer.headers["Location"]).query) == {"error": ["access_denied"], "state": ["s"]}


def test_an_unknown_client_gets_an_error_page_and_no_redirect(zendesk):
    answer = requests.get(
        url("/oauth/authorizations/new"),
        params={"response_type": "code", "client_id": "nobody", "redirect_uri": REDIRECT},
        allow_redirects=False,
        timeout=5,
    )

    assert answer.status_code == 400
    assert "Location" not in answer.headers


def test_auto_approve_skips_the_consent_page(zendesk):
    zendesk.config["oauth_auto_approve"] = True

    answer = requests.get(
        url("/oauth/authorizations/new"),
        params={"response_type": "code", "client_id": zendesk.config["oauth_client_id"], "redirect_uri": REDIRECT},
        allow_redirects=False,
        timeout=5,
    )

    assert answer.status_code == 302
    assert "code=" in answer.headers["Location"]


def test_the_code_exchange_answers_201_without_expires_in_when_the_request_did_not_send_it(zendesk):
    answer = exchange(zendesk, authorize(zendesk)["code"])

    assert answer.status_code == 201
    tokens = answer.json()
    assert "expires_in" not in tokens
    assert tokens["token_type"] == "bearer"
    assert tokens["scope"] == "read write"
    assert tokens["refresh_token"]
    assert tokens["refresh_token_expires_in"] == 2_592_000


def test_expires_in_is_echoed_when_the_request_sent_it(zendesk):
    answer = exchange(zendesk, authorize(zendesk)["code"], expires_in=1800)

    assert answer.json()["expires_in"] == 1800


def test_the_access_token_still_expires_after_the_default_ttl_when_expires_in_was_not_sent(zendesk, sandbox):
    token = exchange(zendesk, authorize(zendesk)["code"]).json()["access_token"]
    assert me(token).json()["user"]["id"] is not None

    sandbox.clock.advance(1800)
    answer = me(token)

    assert answer.status_code == 401
    assert answer.json() == {
        "error": "invalid_token",
        "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons.",
    }


def test_a_requested_expires_in_sets_the_lifetime(zendesk, sandbox):
    token = exchange(zendesk, authorize(zendesk)["code"], expires_in=600).json()["access_token"]

    sandbox.clock.advance(599)
    assert me(token).status_code == 200
    sandbox.clock.advance(1)
    assert me(token).status_code == 401


@pytest.mark.parametrize("expires_in", [300, 172_800, "soon"])
def test_an_expires_in_outside_the_documented_range_is_refused(zendesk, expires_in):
    answer = exchange(zendesk, authorize(zendesk)["code"], expires_in=expires_in)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


def test_a_form_encoded_token_request_is_refused_unless_configured(zendesk):
    body = {
        "grant_type": "authorization_code",
        "code": authorize(zendesk)["code"],
        "client_id": zendesk.config["oauth_client_id"],
        "client_secret": zendesk.config["oauth_client_secret"],
        "redirect_uri": REDIRECT,
    }

    refused = requests.post(url("/oauth/tokens"), data=body, timeout=5)
    zendesk.config["token_accepts_form"] = True
    accepted = requests.post(url("/oauth/tokens"), data=body, timeout=5)

    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
    assert accepted.status_code == 201


def test_a_code_works_once(zendesk):
    code = authorize(zendesk)["code"]
    assert exchange(zendesk, code).status_code == 201

    again = exchange(zendesk, code)

    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_a_code_expires_after_120_seconds(zendesk, sandbox):
    code = authorize(zendesk)["code"]
    sandbox.clock.advance(120)

    assert exchange(zendesk, code).json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_is_refused(zendesk):
    answer = exchange(zendesk, authorize(zendesk)["code"], client_secret="wrong")

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_a_code_from_one_subdomain_does_not_work_on_another(zendesk):
    code = authorize(zendesk, subdomain="acme")["code"]

    assert exchange(zendesk, code, subdomain="globex").json()["error"] == "invalid_grant"


def test_a_token_for_one_subdomain_is_refused_on_another(zendesk):
    token = exchange(zendesk, authorize(zendesk)["code"]).json()["access_token"]

    assert me(token, "globex").status_code == 401


def test_pkce_binds_the_code_to_its_verifier(zendesk):
    verifier = "a-long-random-verifier-string-of-at-least-43-characters-000"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}

    wrong = exchange(zendesk, authorize(zendesk, **pkce)["code"], code_verifier="not-it")
    right = exchange(zendesk, authorize(zendesk, **pkce)["code"], code_verifier=verifier)

    assert wrong.json()["error"] == "invalid_grant"
    assert right.status_code == 201


def test_a_refresh_returns_a_new_pair_and_the_refresh_token_works_once(zendesk):
    first = exchange(zendesk, authorize(zendesk)["code"], expires_in=1800).json()

    second = refresh(zendesk, first["refresh_token"], expires_in=1800)
    reused = refresh(zendesk, first["refresh_token"], expires_in=1800)

    assert second.status_code == 201
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert second.json()["access_token"] != first["access_token"]
    assert second.json()["expires_in"] == 1800
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


def test_a_refresh_deletes_the_previous_access_token(zendesk):
    first = exchange(zendesk, authorize(zendesk)["code"]).json()

    second = refresh(zendesk, first["refresh_token"]).json()

    assert me(first["access_token"]).status_code == 401
    assert me(second["access_token"]).status_code == 200


def test_a_refresh_omits_expires_in_unless_asked(zendesk):
    first = exchange(zendesk, authorize(zendesk)["code"]).json()

    second = refresh(zendesk, first["refresh_token"]).json()

    assert "expires_in" not in second
    assert "refresh_token_expires_in" in second


def test_the_rotated_refresh_token_keeps_working_down_the_chain(zendesk):
    tokens = exchange(zendesk, authorize(zendesk)["code"]).json()

    for _ in range(3):
        answer = refresh(zendesk, tokens["refresh_token"])
        assert answer.status_code == 201
        tokens = answer.json()

    assert me(tokens["access_token"]).status_code == 200


def test_a_refresh_token_expires(zendesk, sandbox):
    tokens = exchange(zendesk, authorize(zendesk)["code"], refresh_token_expires_in=604_801 + 10).json()

    sandbox.clock.advance(604_811)

    assert refresh(zendesk, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_legacy_clients_get_tokens_that_never_expire_and_no_refresh_token(zendesk, sandbox):
    zendesk.config["tokens_expire"] = False

    tokens = exchange(zendesk, authorize(zendesk)["code"]).json()
    sandbox.clock.advance(365 * 86400)

    assert set(tokens) == {"access_token", "scope", "token_type"}
    assert me(tokens["access_token"]).status_code == 200


def test_a_token_without_the_write_scope_gets_403_on_writes(zendesk):
    token = exchange(zendesk, authorize(zendesk, scope="read")["code"], scope="read").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    read = requests.get(url("/api/v2/organizations.json"), headers=headers, timeout=5)
    write = requests.post(
        url("/api/v2/organizations.json"), json={"organization": {"name": "No"}}, headers=headers, timeout=5
    )

    assert read.status_code == 200
    assert write.status_code == 403
    assert write.json()["error"] == "Forbidden"


def test_a_resource_scope_allows_only_its_resource(zendesk):
    code = authorize(zendesk, scope="organizations:write read")["code"]
    token = exchange(zendesk, code, scope="organizations:write read").json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    org = requests.post(
        url("/api/v2/organizations.json"), json={"organization": {"name": "Yes"}}, headers=headers, timeout=5
    )
    user = requests.post(url("/api/v2/users.json"), json={"user": {"name": "No"}}, headers=headers, timeout=5)

    assert org.status_code == 201
    assert user.status_code == 403


def test_expiring_or_revoking_a_token_through_the_control_api_takes_effect(zendesk, sandbox):
    tokens = exchange(zendesk, authorize(zendesk)["code"]).json()

    zendesk.oauth.expire(tokens["access_token"])

    assert me(tokens["access_token"]).status_code == 401
    assert refresh(zendesk, tokens["refresh_token"]).status_code == 201


def test_the_current_token_can_be_revoked(zendesk):
    token = exchange(zendesk, authorize(zendesk)["code"]).json()["access_token"]

    answer = requests.delete(
        url("/api/v2/oauth/tokens/current.json"), headers={"Authorization": f"Bearer {token}"}, timeout=5
    )

    assert answer.status_code == 204
    assert me(token).status_code == 401


def test_no_secret_reaches_the_journal_unmasked(zendesk, admin_api):
    verifier = "a-long-random-verifier-string-of-at-least-43-characters-000"
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code = authorize(zendesk, code_challenge=challenge, code_challenge_method="S256")["code"]
    first = exchange(zendesk, code, code_verifier=verifier).json()
    second = refresh(zendesk, first["refresh_token"]).json()
    me(second["access_token"])
    admin_api.get(url("/api/v2/users/me.json"), timeout=5)

    journal = json.dumps([entry.as_dict() for entry in zendesk.journal.entries()])

    secrets = [
        zendesk.config["oauth_client_secret"],
        zendesk.config["api_token"],
        code,
        verifier,
        first["access_token"],
        first["refresh_token"],
        second["access_token"],
        second["refresh_token"],
    ]
    for secret in secrets:
        assert secret not in journal
