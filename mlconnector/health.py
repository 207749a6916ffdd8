"""`/healthz` for load balancers and uptime checks: the database, the cache, the task broker, and the
encryption key (the newest stored secret is decrypted: with a wrong key every page that loads a connection
fails, so the check says so and names the setting to fix).

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


def check_encryption_key():
    """Decrypt the secrets of the newest connection that holds one (a canary that is real data: it is what
    the key must open). Raises SecretDecryptionError, or ImproperlyConfigured for a key that is no key."""
    from django.db.models import Q
    from django_scopes import scopes_disabled

    from connections.credentials.fields import crypter
    from connections.models import Connection

    crypter()  # a key that is no Fernet key fails even before anything is stored
    columns = Connection.SECRET_FIELDS
    holds_one = Q()
    for column in columns:
        holds_one |= Q(**{f"{column}__isnull": False})
    with scopes_disabled():
        Connection.objects.filter(holds_one).order_by("-pk").values_list(*columns).first()


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "encryption_key": check_encryption_key,
}
# What a failed check tells whoever asks: only where an operator's setting is the cause, and no value of it.
HINTS = {"encryption_key": "FIELD_ENCRYPTION_KEY does not decrypt the stored secrets (see the log)."}


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
        hints = {name: HINTS[name] for name in failed if name in HINTS}
        return JsonResponse({**results, "failed": failed, **({"hints": hints} if hints else {})}, status=503)
    return JsonResponse(results)
