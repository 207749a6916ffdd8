"""The customer's side of a connect flow against the sandbox: the consent page, the redirect back, the choice."""

import html
import re
from urllib.parse import urlsplit

import requests
from django_scopes import scopes_disabled

from connections.models import Connection


def consent(authorize_url: str, decision: str = "allow") -> str:
    """Play the person on the provider's consent page: submit its form with the chosen button.

    Returns where the provider then sends the browser.
    """
    page = requests.get(authorize_url, timeout=5)
    assert page.status_code == 200, page.text
    action = html.unescape(re.search(r'<form method="?post"? action="([^"]+)"', page.text).group(1))
    fields = {
        html.unescape(name): html.unescape(value)
        for name, value in re.findall(r'<input type="?hidden"? name="([^"]+)" value="([^"]*)"', page.text)
    }
    answer = requests.post(action, data={**fields, "decision": decision}, allow_redirects=False, timeout=5)
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["Location"]


def calls(emulator, path: str) -> list:
    return [e for e in emulator.journal.entries(kind="request") if urlsplit(e.url).path == path]


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def start(client, provider, **form):
    response = client.post(f"/connections/connect/{provider}/", {"label": f"Our {provider}", **form})
    assert response.status_code == 302, response.content
    return response["Location"]


def connect_freshbooks(client, choose="SbX4kq"):
    back = consent(start(client, "freshbooks"))
    response = client.get(local(back))
    assert response.status_code == 302
    if "/choose/" in response["Location"]:
        response = client.post(response["Location"], {"account_id": choose})
    with scopes_disabled():
        return Connection.objects.get(provider="freshbooks"), response
