"""FreshBooks emulator tests talk to it the way the app will: `requests` calls to the real hosts."""

import pytest

from tests.providers.freshbooks.helpers import accounting, connect, session_for


@pytest.fixture
def freshbooks(sandbox):
    return sandbox["freshbooks"]


@pytest.fixture
def tokens(sandbox):
    return connect()


@pytest.fixture
def api(tokens):
    return session_for(tokens["access_token"])


@pytest.fixture
def make(api):
    """Creates records through the API as the app would, returning the `result` object."""

    def create(kind: str, **fields):
        path = {
            "client": "users/clients",
            "invoice": "invoices/invoices",
            "payment": "payments/payments",
            "expense": "expenses/expenses",
        }[kind]
        answer = api.post(accounting(path), json={kind: fields}, timeout=5)
        assert answer.status_code == 200, answer.text
        return answer.json()["response"]["result"][kind]

    return create
