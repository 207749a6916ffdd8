"""The `sandbox` pytest fixture: every registered emulator, answering `requests` calls in process.

    def test_it_reads_the_invoice(sandbox):
        books = sandbox["<slug>"]                   # that provider's emulator instance
        ...                                         # code under test calls the provider's real host
        sandbox.clock.advance(43200)                # time is fake: tokens expire without waiting
        sandbox.deliver()                           # send the webhooks that are due

Calls to hosts no emulator serves fail with a ConnectionError (no network in tests).
"""

import pytest
import responses

from connections.sandbox.base import FakeClock
from connections.sandbox.registry import build_emulators
from connections.sandbox.testing import Sandbox


@pytest.fixture
def sandbox():
    clock = FakeClock()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        box = Sandbox(build_emulators(clock=clock, seed=1234), mock, clock)
        box.install()
        yield box
