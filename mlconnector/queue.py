"""django-q2's Redis broker, with one Redis client (and connection pool) per process.

django-q2 builds a broker for every `async_task`, and its Redis broker a new client with a new pool each time:
a TCP connection, a handshake and, in redis-py, a read of package metadata for every task queued. On the
webhook path that was a third of the work of acknowledging a delivery (docs/benchmarks.md). One client per
process instead; a forked process (gunicorn and qcluster workers) makes its own.
"""

import os

from django_q.brokers.redis_broker import Redis

_clients: dict[int, object] = {}


class PooledRedis(Redis):
    @staticmethod
    def get_connection(list_key: str | None = None):
        pid = os.getpid()
        client = _clients.get(pid)
        if client is None:
            client = _clients[pid] = Redis.get_connection(list_key)
        return client
