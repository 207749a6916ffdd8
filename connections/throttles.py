"""Throttles: who is asking (behind a trusted proxy too) and fixed-window counters shared by every process.

`client_address()` reads `X-Forwarded-For` only as far as `TRUSTED_PROXY_HOPS` says proxies of ours added to
it; anything further left was written by the client and is not believed. Counters are atomic: Redis INCR
when the cache is Redis, a single UPDATE on `ThrottleCounter` otherwise (the database cache's `incr` is a
read then a write, and resets the expiry). A window's index is part of its key, so "per minute" means the
clock minute, not "until the cache expires the key".
"""

import ipaddress
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from connections.models import ThrottleCounter


def client_address(request) -> str:
    """The address of whoever sent the request: the proxy's peer when `TRUSTED_PROXY_HOPS` proxies add to
    `X-Forwarded-For`, the socket's peer otherwise (or when the header is shorter than the hops, or not an address)."""
    if request is None:
        return ""
    peer = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_HOPS
    if hops <= 0:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return peer
    candidate = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer


def _bucket(name: str, key: str, window: int) -> tuple[str, int]:
    index = int(time.time() // window)
    return f"throttle:{name}:{key}:{window}:{index}"[:200], (index + 1) * window


def _uses_redis() -> bool:
    return settings.CACHES["default"]["BACKEND"].endswith("redis.RedisCache")


def hit(name: str, key: str, window: int) -> int:
    """Count one more in this window; returns the count including this one."""
    bucket, ends = _bucket(name, key, window)
    if _uses_redis():
        client = cache._cache.get_client(write=True)
        redis_key = cache.make_and_validate_key(bucket)
        pipe = client.pipeline()
        pipe.incr(redis_key)
        pipe.expireat(redis_key, ends + 1)
        count, _ = pipe.execute()
        return int(count)
    for _ in range(2):
        if ThrottleCounter.objects.filter(key=bucket).update(count=F("count") + 1):
            return ThrottleCounter.objects.filter(key=bucket).values_list("count", flat=True).first() or 1
        now = timezone.now()
        try:
            with transaction.atomic():
                ThrottleCounter.objects.create(
                    key=bucket, count=1, expires_at=now + timedelta(seconds=ends - time.time() + 1)
                )
        except IntegrityError:
            continue  # another process made the row first: bump it
        ThrottleCounter.objects.filter(expires_at__lt=now).delete()  # once per key and window: cheap
        return 1
    return 1


def count(name: str, key: str, window: int) -> int:
    """This window's count, without adding to it."""
    bucket, _ = _bucket(name, key, window)
    if _uses_redis():
        return int(cache._cache.get_client().get(cache.make_and_validate_key(bucket)) or 0)
    return ThrottleCounter.objects.filter(key=bucket).values_list("count", flat=True).first() or 0


def clear(name: str, key: str, window: int) -> None:
    """Forget this window's count (a successful login, a lock-out lifted)."""
    bucket, _ = _bucket(name, key, window)
    if _uses_redis():
        cache._cache.get_client(write=True).delete(cache.make_and_validate_key(bucket))
    else:
        ThrottleCounter.objects.filter(key=bucket).delete()
