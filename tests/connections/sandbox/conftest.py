import pytest
import responses

from connections.sandbox import FakeClock
from connections.sandbox.testing import Sandbox
from tests.connections.sandbox.echo import EchoEmulator


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def echo(clock):
    return EchoEmulator(clock=clock, seed=7)


@pytest.fixture
def echo_box(echo, clock):
    """The echo emulator served through `responses`, like the real `sandbox` fixture serves registered ones."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        box = Sandbox({"echo": echo}, mock, clock)
        box.install()
        yield box
