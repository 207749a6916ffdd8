"""Talking to the FreshBooks emulator the way the app will: `requests` calls to the real hosts."""

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, parse_qsl, urlsplit

import requests

API = "https://api.freshbooks.com"
AUTH = "https://auth.freshbooks.com"
CLIENT_ID = "sandbox-freshbooks-client"
CLIENT_SECRET = "sandbox-freshbooks-secret"
REDIRECT_URI = "https://app.example/oauth/freshbooks/callback"
ACCOUNT = "SbX4kq"
OTHER_ACCOUNT = "SbP9zt"
SCOPES = "user:profile:read user:clients:read user:clients:write user:invoices:read user:invoices:write " + (
    "user:payments:read user:payments:write user:expenses:read user:expenses:write"
)


def authorize(scope=SCOPES, state="st4te") -> str:
    """Walks the consent page and returns the code the redirect carries."""
    query = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": state,
    }
    page = requests.get(f"{AUTH}/oauth/authorize", params=query, timeout=5)
    assert page.status_code == 200, page.text
    answer = requests.post(
        f"{AUTH}/oauth/authorize", data={**query, "decision": "allow"}, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text
    params = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert params["state"] == [state]
    return params["code"][0]


def token_request(**fields) -> requests.Response:
    body = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT_URI, **fields}
    return requests.post(f"{API}/auth/oauth/token", data=body, timeout=5)


def connect(scope=SCOPES) -> dict:
    answer = token_request(grant_type="authorization_code", code=authorize(scope))
    assert answer.status_code == 200, answer.text
    return answer.json()


def session_for(access_token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {access_token}"
    return session


def accounting(kind_path: str, account=ACCOUNT) -> str:
    return f"{API}/accounting/account/{account}/{kind_path}"


def receiver_signature(verifier: str, body: bytes) -> str:
    """The receiver's side of the rule, written from the notes: parse the form in body order, json.dumps it
    with Python's defaults, HMAC-SHA256 keyed by the verifier, base64."""
    fields = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        fields[key] = value
    message = json.dumps(fields).encode("utf-8")
    return base64.b64encode(hmac.new(verifier.encode("utf-8"), message, hashlib.sha256).digest()).decode()
