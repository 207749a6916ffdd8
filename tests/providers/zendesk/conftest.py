"""Zendesk emulator fixtures: the registered emulator behind `requests`, and a caller for the acme account."""

import pytest
import requests


@pytest.fixture
def zendesk(sandbox):
    """The emulator instance the `sandbox` fixture serves on https://{subdomain}.zendesk.com."""
    return sandbox["zendesk"]


@pytest.fixture
def admin_api(zendesk):
    """A requests session authenticated as acme's admin with the account's API token."""
    account = zendesk.account("acme")
    session = requests.Session()
    session.auth = (f"{account.admin.email}/token", zendesk.config["api_token"])
    return session
