import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.providers.freshbooks.helpers import (
    API,
    AUTH,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    authorize,
    connect,
    token_request,
)


def test_it_shows_a_consent_page_naming_the_app_and_the_scopes(sandbox):
    page = requests.get(
        f"{AUTH}/oauth/authorize/",
        params={
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "scope": "user:invoices:read",
        },
        timeout=5,
    )
    assert page.status_code == 200
    assert CLIENT_ID in page.text and "user:invoices:read" in page.text
    assert 'action="https://auth.freshbooks.com/oauth/authorize/"' in page.text


def test_it_redirects_an_approval_back_with_a_code_and_the_state(sandbox):
    query = {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT_URI, "state": "xyz"}
    answer = requests.post(
        f"{AUTH}/oauth/authorize", data={**query, "decision": "allow"}, allow_redirects=False, timeout=5
    )
    location = urlsplit(answer.headers["Location"])
    assert answer.status_code == 302
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    assert set(parse_qs(location.query)) == {"code", "state"} and parse_qs(location.query)["state"] == ["xyz"]


def test_it_redirects_a_refusal_with_access_denied_and_the_state(sandbox):
    answer = requests.post(
        f"{AUTH}/oauth/authorize",
        data={"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "state": "abc", "decision": "deny"},
        allow_redirects=False,
        timeout=5,
    )
    location = urlsplit(answer.headers["Location"])
    assert answer.status_code == 302 and location.netloc == "app.example"
    assert parse_qs(location.query) == {
        "error": ["access_denied"],
        "error_description": ["The resource owner denied the request."],
        "state": ["abc"],
    }


@pytest.mark.parametrize(
    ("client_id", "redirect_uri"),
    [
        ("someone-else", REDIRECT_URI),
        (CLIENT_ID, "https://app.example/callback?next=/x"),
        (CLIENT_ID, "http://app.example/callback"),
    ],
)
def test_it_refuses_unknown_apps_and_bad_redirect_uris_on_the_page(sandbox, client_id, redirect_uri):
    answer = requests.get(
        f"{AUTH}/oauth/authorize",
        params={"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri},
        timeout=5,
    )
    assert answer.status_code == 400


def test_it_issues_twelve_hour_bearer_tokens_for_an_authorization_code(sandbox):
    tokens = connect()
    assert set(tokens) == {"access_token", "refresh_token", "token_type", "expires_in", "scope", "created_at"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 43200
    assert tokens["created_at"] == int(sandbox.clock.now())
    assert "user:invoices:read" in tokens["scope"].split(" ")


@pytest.mark.parametrize("encoding", ["form", "json", "multipart"])
def test_it_accepts_form_json_and_multipart_token_requests(sandbox, encoding):
    body = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
        "code": authorize(),
    }
    url = f"{API}/auth/oauth/token"
    if encoding == "form":
        answer = requests.post(url, data=body, timeout=5)
    elif encoding == "json":
        answer = requests.post(url, json=body, timeout=5)
    else:
        answer = requests.post(url, files={k: (None, v) for k, v in body.items()}, timeout=5)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"


def test_it_accepts_client_credentials_in_a_basic_header(sandbox):
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    answer = requests.post(
        f"{API}/auth/oauth/token",
        data={"grant_type": "authorization_code", "code": authorize(), "redirect_uri": REDIRECT_URI},
        headers={"Authorization": f"Basic {basic}"},
        timeout=5,
    )
    assert answer.status_code == 200


def test_it_lets_a_code_work_once(sandbox):
    code = authorize()
    assert token_request(grant_type="authorization_code", code=code).status_code == 200
    again = token_request(grant_type="authorization_code", code=code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_it_expires_codes_after_five_minutes(sandbox):
    code = authorize()
    sandbox.clock.advance(301)
    assert token_request(grant_type="authorization_code", code=code).json()["error"] == "invalid_grant"


def test_it_refuses_a_wrong_client_secret(sandbox):
    answer = token_request(grant_type="authorization_code", code=authorize(), client_secret="nope")
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_it_rotates_refresh_tokens_and_refuses_a_reused_one(sandbox):
    first = connect()

    refreshed = token_request(grant_type="refresh_token", refresh_token=first["refresh_token"])
    reused = token_request(grant_type="refresh_token", refresh_token=first["refresh_token"])
    chained = token_request(grant_type="refresh_token", refresh_token=refreshed.json()["refresh_token"])

    assert refreshed.status_code == 200
    assert refreshed.json()["refresh_token"] != first["refresh_token"]
    assert refreshed.json()["access_token"] != first["access_token"]
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": reused.json()["error_description"],
    }
    assert chained.status_code == 200


def test_it_keeps_the_old_access_token_valid_after_a_refresh(sandbox):
    first = connect()
    token_request(grant_type="refresh_token", refresh_token=first["refresh_token"])
    me = requests.get(
        f"{API}/auth/api/v1/users/me", headers={"Authorization": f"Bearer {first['access_token']}"}, timeout=5
    )
    assert me.status_code == 200


def test_it_answers_401_in_each_services_style_once_the_access_token_expired(sandbox):
    tokens = connect()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    sandbox.clock.advance(43200)

    me = requests.get(f"{API}/auth/api/v1/users/me", headers=headers, timeout=5)
    clients = requests.get(f"{API}/accounting/account/SbX4kq/users/clients", headers=headers, timeout=5)
    callbacks = requests.get(f"{API}/events/account/SbX4kq/events/callbacks", headers=headers, timeout=5)

    assert me.status_code == clients.status_code == callbacks.status_code == 401
    assert me.json() == {
        "error": "unauthenticated",
        "error_description": "This action requires authentication to continue.",
    }
    assert clients.json()["code"] == 16 and clients.json()["details"][0]["reason"] == "1003"
    assert callbacks.json() == {
        "errno": 401,
        "message": "invalid_token: The request token failed to authenticate or validate.",
    }


def test_it_expires_and_revokes_tokens_on_demand(sandbox, freshbooks):
    tokens = connect()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    freshbooks.oauth.expire(tokens["access_token"])
    assert requests.get(f"{API}/auth/api/v1/users/me", headers=headers, timeout=5).status_code == 401
    freshbooks.oauth.revoke(tokens["refresh_token"])
    assert token_request(grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code == 400


def test_it_never_journals_codes_tokens_or_the_client_secret(sandbox, freshbooks):
    code = authorize()
    tokens = token_request(grant_type="authorization_code", code=code).json()
    refreshed = token_request(grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    requests.get(
        f"{API}/auth/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5
    )
    journal = json.dumps([entry.as_dict() for entry in freshbooks.journal.entries()])
    secrets = (code, CLIENT_SECRET, tokens["access_token"], tokens["refresh_token"], refreshed["access_token"])
    for secret in (*secrets, refreshed["refresh_token"]):
        assert secret not in journal
