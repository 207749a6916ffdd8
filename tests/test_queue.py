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


@pytest.fixture
def orm_broker(monkeypatch):
    monkeypatch.setattr(Conf, "ORM", "default")
    monkeypatch.setattr(Conf, "BROKER_CLASS", "mlconnector.queue.RequestSafeORM")


@pytest.fixture
def closes(monkeypatch):
    """Every call to close_old_connections, which closes the caller's connection outside a transaction."""
    from django import db

    calls = []
    monkeypatch.setattr(db, "close_old_connections", lambda **kw: calls.append(kw))
    return calls


@pytest.mark.django_db(transaction=True)
def test_queueing_from_a_request_never_closes_its_database_connection(orm_broker, closes):
    from django_q.tasks import async_task

    async_task("math.floor", 1.5)
    assert closes == [], "a view still reading a cursor would fail with 'Cannot operate on a closed database'"


@pytest.mark.django_db(transaction=True)
def test_the_cluster_loop_still_drops_stale_connections_where_it_takes_work(orm_broker, closes):
    get_broker().dequeue()
    assert len(closes) == 1
