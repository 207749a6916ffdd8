"""The Redis broker keeps one client per process instead of connecting anew for every task queued."""

import pytest
from django_q.brokers import get_broker
from django_q.conf import Conf

from mlconnector import queue


@pytest.fixture
def pooled(monkeypatch):
    monkeypatch.setattr(Conf, "REDIS", "redis://127.0.0.1:6379/15")
    monkeypatch.setattr(Conf, "BROKER_CLASS", "mlconnector.queue.PooledRedis")
    monkeypatch.setattr(queue, "_clients", {})


def test_every_broker_of_a_process_shares_one_client(pooled):
    first, second = get_broker(), get_broker()
    assert isinstance(first, queue.PooledRedis)
    assert first.connection is second.connection


def test_a_forked_process_makes_its_own_client(pooled, monkeypatch):
    parent = get_broker().connection
    monkeypatch.setattr(queue.os, "getpid", lambda: -1)
    child = get_broker().connection
    assert child is not parent
    assert get_broker().connection is child


def test_the_redis_broker_is_the_pooled_one_when_configured():
    from django.conf import settings as live

    if live.Q_BROKER != "redis":
        pytest.skip("the ORM broker is in use")
    assert live.Q_CLUSTER["broker_class"] == "mlconnector.queue.PooledRedis"


def test_an_idle_worker_asks_the_orm_broker_often():
    """A webhook crosses the queue twice (event, then job): each idle sleep is latency a user waits for."""
    from django.conf import settings

    assert settings.Q_CLUSTER["poll"] <= 0.2
