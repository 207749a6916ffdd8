"""`/healthz` for load balancers and uptime checks: the database, the cache and the task broker.

No login, and no detail beyond which check failed: the reasons go to the log, not to whoever asks.
"""

import functools
import logging
import secrets

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache():
    key, value = f"healthz:{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, timeout=30)
    try:
        if cache.get(key) != value:
            raise RuntimeError("the cache did not return what was just stored")
    finally:
        cache.delete(key)


@functools.cache
def broker():
    """One broker (and so one Redis connection pool) per process, not one per check."""
    from django_q.brokers import get_broker

    return get_broker()


def check_broker():
    """Redis answers PING. The ORM broker's ping always says yes, so its queue table is read instead."""
    from django_q.conf import Conf
    from django_q.models import OrmQ

    if Conf.ORM:
        OrmQ.objects.using(Conf.ORM).exists()
    elif not broker().ping():
        raise RuntimeError("the broker did not answer its ping")


CHECKS = {"database": check_database, "cache": check_cache, "broker": check_broker}


@never_cache
@require_GET
def healthz(request):
    """200 and every check "ok", or 503 naming the ones that failed."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.exception("Health check %s failed", name)
            results[name] = "failed"
        else:
            results[name] = "ok"
    failed = [name for name, result in results.items() if result != "ok"]
    if failed:
        return JsonResponse({**results, "failed": failed}, status=503)
    return JsonResponse(results)
