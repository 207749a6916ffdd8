"""Throttle counters: a window lasts what its name says, and concurrent hits are all counted."""

import threading
from types import SimpleNamespace

import pytest
from django.db import connection as db_connection

from connections import throttles


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]  # a minute boundary
    monkeypatch.setattr(throttles, "time", SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.mark.django_db
def test_a_per_minute_window_ends_at_the_minute_whatever_the_cache_does_with_expiries(clock):
    for _ in range(3):
        throttles.hit("t", "k", 60)
    clock[0] += 59
    assert throttles.hit("t", "k", 60) == 4, "still the same minute"
    clock[0] += 1
    assert throttles.count("t", "k", 60) == 0, "a new minute starts from nothing"
    assert throttles.hit("t", "k", 60) == 1


@pytest.mark.django_db
def test_clear_forgets_the_count(clock):
    throttles.hit("t", "k", 60)
    throttles.clear("t", "k", 60)
    assert throttles.count("t", "k", 60) == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    db_connection.vendor == "sqlite",
    reason="the in-memory test database's shared cache refuses concurrent writers instead of waiting for them",
)
@pytest.mark.parametrize("backend", ["database", "redis"])
def test_hits_from_many_threads_are_all_counted(backend, settings, monkeypatch):
    if backend == "redis" and not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("the cache is not Redis in this run")
    monkeypatch.setattr(throttles, "_uses_redis", lambda: backend == "redis")

    def bump():
        try:
            for _ in range(20):
                throttles.hit("race", "k", 3600)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=bump) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert throttles.count("race", "k", 3600) == 120
