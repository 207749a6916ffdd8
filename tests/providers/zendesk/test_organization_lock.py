"""The organization lock lasts a job's short lease, and a long write keeps it through its calls' heartbeats."""

from types import SimpleNamespace

import pytest

from connections.providers import http
from connections.providers.errors import Retryable
from connections.providers.zendesk import organizations

pytestmark = pytest.mark.django_db


class Spy:
    """The cache, with every renewal of a key's time noted."""

    def __init__(self, cache):
        self.cache, self.touched = cache, []

    def __getattr__(self, name):
        return getattr(self.cache, name)

    def touch(self, key, timeout):
        self.touched.append(timeout)
        return self.cache.touch(key, timeout=timeout)


def test_a_long_write_keeps_its_organization_lock_and_frees_it_after(monkeypatch, settings):
    settings.SYNC_LEASE_SECONDS = 60
    now = [1000.0]
    monkeypatch.setattr(organizations, "monotonic", lambda: now[0], raising=False)
    spy = Spy(organizations.cache)
    monkeypatch.setattr(organizations, "cache", spy)
    ctx = SimpleNamespace(integration=SimpleNamespace(pk=1))
    with organizations.OrganizationLock(ctx, "42") as lock:
        for _ in range(5):  # notes on five tickets, 25 s a call: twice the lock's own time
            http.beat()
            now[0] += 25
            http.beat()
        assert spy.touched == [60] * 5, "renewed once a third of its time had passed, at each call"
        with pytest.raises(Retryable):
            organizations.OrganizationLock(ctx, "42").__enter__()
    now[0] += 100
    http.beat()
    assert len(spy.touched) == 5 and spy.get(lock.key) is None, "released, and no longer renewed"
