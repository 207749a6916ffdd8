"""Salesforce emulator fixtures: the registered emulator behind `requests`, and an API session on `acme`."""

import pytest

from tests.providers.salesforce.helpers import connect


@pytest.fixture
def salesforce(sandbox):
    """The emulator the `sandbox` fixture serves on https://{my_domain}.my.salesforce.com (and the other
    two host forms)."""
    return sandbox["salesforce"]


@pytest.fixture
def api(salesforce):
    """A requests session with a fresh client-credentials token for the org `acme`."""
    return connect("acme")
