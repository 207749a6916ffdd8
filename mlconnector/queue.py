"""django-q2's brokers, adjusted: the ORM broker never closes the caller's database connection, and the
Redis broker keeps one Redis client (and connection pool) per process.

django-q2's ORM broker calls `close_old_connections()` whenever it is used outside a transaction, which is
right for the cluster's long-lived broker loop and wrong inside a request: queueing a task from a view closed
the view's connection (at once, with SQLite's CONN_MAX_AGE of 0), so a view still reading a cursor failed
with "Cannot operate on a closed database" after its work was done ("Replay all" answered 500 and a client
retrying replayed twice). Connections are now checked where the loop takes work, not where work is queued.

django-q2 builds a broker for every `async_task`, and its Redis broker a new client with a new pool each time:
a TCP connection, a handshake and, in redis-py, a read of package metadata for every task queued. On the
webhook path that was a third of the work of acknowledging a delivery (docs/benchmarks.md). One client per
process instead; a forked process (gunicorn and qcluster workers) makes its own.
"""

import os

from django import db
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.models import OrmQ

_clients: dict[int, object] = {}


class RequestSafeORM(ORM):
    @staticmethod
    def get_connection(list_key: str | None = None):
        return OrmQ.objects.using(Conf.ORM)

    def dequeue(self):
        if db.transaction.get_autocommit(using=Conf.ORM):
            db.close_old_connections()  # the cluster's loop: drop a connection the server closed meanwhile
        return super().dequeue()


class PooledRedis(Redis):
    @staticmethod
    def get_connection(list_key: str | None = None):
        pid = os.getpid()
        client = _clients.get(pid)
        if client is None:
            client = _clients[pid] = Redis.get_connection(list_key)
        return client
