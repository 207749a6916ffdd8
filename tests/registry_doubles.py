"""Providers and a flow that exist only in tests, registered by name like the real ones (tests/conftest.py)."""

from connections.providers.base import AuthKind, Provider
from syncs.flows.base import Flow

TEST_SOURCE = Provider(
    slug="testsource",
    name="Test Source",
    auth_kinds=(AuthKind.OAUTH2_USER,),
    address_fields=("account_id",),
)

TEST_TARGET = Provider(
    slug="testtarget",
    name="Test Target",
    auth_kinds=(AuthKind.API_TOKEN,),
    address_fields=("subdomain",),
    required_addresses=("subdomain",),
)


class TestFlow(Flow):
    slug = "test_flow"
    name = "Test Source -> Test Target"
    source_provider = "testsource"
    target_provider = "testtarget"


TEST_FLOW = TestFlow()
