"""Small helpers shared by the Salesforce emulator tests: hosts, the token request, an API session and the
control API called in process."""

import json

import requests

from connections.sandbox.base import Request

CLIENT_ID = "sandbox-salesforce-client"
CLIENT_SECRET = "sandbox-salesforce-secret"
VERSION = "v66.0"


def host(my_domain: str = "acme", edition: str = "production") -> str:
    middle = {"production": "my", "sandbox": "sandbox.my", "developer": "develop.my"}[edition]
    return f"https://{my_domain}.{middle}.salesforce.com"


def data_url(path: str, my_domain: str = "acme", version: str = VERSION) -> str:
    return f"{host(my_domain)}/services/data/{version}{path}"


def request_token(my_domain: str = "acme", **form) -> requests.Response:
    body = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
    return requests.post(f"{host(my_domain)}/services/oauth2/token", data=body, timeout=5)


def session_for(token: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    return session


def connect(my_domain: str = "acme") -> requests.Session:
    answer = request_token(my_domain)
    assert answer.status_code == 200, answer.text
    return session_for(answer.json()["access_token"])


def control(emulator, method: str, action: str, body: dict | None = None, query: str = ""):
    """Calls a control action in process; returns (status, JSON body)."""
    request = Request(method, action, query, {"Content-Type": "application/json"}, json.dumps(body or {}).encode())
    answer = emulator.handle_control(request)
    return answer.status, answer.data()


def create(api, sobject: str, my_domain: str = "acme", version: str = VERSION, **fields) -> str:
    answer = api.post(data_url(f"/sobjects/{sobject}/", my_domain, version), json=fields, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def soql(api, query: str, my_domain: str = "acme", version: str = VERSION, resource: str = "query"):
    return api.get(data_url(f"/{resource}", my_domain, version), params={"q": query}, timeout=5)


def error_code(answer: requests.Response) -> str:
    return answer.json()[0]["errorCode"]
