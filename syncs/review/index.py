"""The match index of an integration: its target mirror and aliases in memory, built once per process.

100,000 names take over a second to index, so an index is built once per process, integration and record
type, then kept fresh from the mirror rows and aliases changed since it last looked; removing an alias (an
index only grows) makes every process rebuild (`invalidate`). Such an index holds tens of megabytes, so a
process keeps at most MATCH_INDEX_MAX_NAMES names in all, dropping the least recently used indexes first; a
web request never builds one (`built_index`, and the review search reads the mirror table instead).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from syncs.matching import DEFAULT_THRESHOLDS, MatchIndex, TargetRecord, Thresholds
from syncs.models import MatchAlias, RemoteRecord


def thresholds_for(integration) -> Thresholds:
    """The integration's `auto_link`, `review` and `margin` options, else the measured defaults."""
    options = integration.options or {}
    values = {key: float(options[key]) for key in ("auto_link", "review", "margin") if options.get(key) is not None}
    if not values:
        return DEFAULT_THRESHOLDS
    merged = {
        "auto_link": DEFAULT_THRESHOLDS.auto_link,
        "review": DEFAULT_THRESHOLDS.review,
        "margin": DEFAULT_THRESHOLDS.margin,
    }
    return Thresholds(**{**merged, **values})


@dataclass
class _Cached:
    index: MatchIndex
    seen_until: datetime
    alias_ids: set[int] = field(default_factory=set)
    generation: int = 0
    # (remote id -> updated_at) of rows read within the last SLACK, so a row read twice is applied once
    recent: dict[str, datetime] = field(default_factory=dict)


# A row is stamped when it is saved but seen by others only when its transaction commits; each look reaches
# this far back, so a row committed a little after its stamp is not missed.
SLACK = timedelta(seconds=10)


_INDEXES: OrderedDict[tuple, _Cached] = OrderedDict()  # least recently used first
_LOCK = threading.Lock()


def _generation_key(integration) -> str:
    return f"match-index-generation:{integration.uuid}"


def _generation(integration) -> int:
    return cache.get(_generation_key(integration)) or 0


def invalidate(integration) -> None:
    """Make every process rebuild this integration's indexes (an alias was removed: an index only grows)."""
    key = _generation_key(integration)
    cache.add(key, 0, timeout=None)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=None)


def _as_target(row: RemoteRecord) -> TargetRecord:
    return TargetRecord(row.remote_id, row.name, tuple(row.emails or ()), row.external_id or None)


def mirror_rows(connection, record_type: str):
    return RemoteRecord.objects.filter(connection=connection, record_type=record_type)


def _build(integration, connection, record_type: str, generation: int) -> _Cached:
    started = timezone.now()
    rows = mirror_rows(connection, record_type).filter(deleted=False)
    records = (
        TargetRecord(remote_id, name, tuple(emails or ()), external_id or None)
        for remote_id, name, emails, external_id in rows.values_list("remote_id", "name", "emails", "external_id")
        .order_by()
        .iterator(chunk_size=5000)
    )
    aliases = list(
        MatchAlias.objects.filter(integration=integration, target_type=record_type).values_list(
            "pk", "source_name", "target_id"
        )
    )
    index = MatchIndex(
        records,
        aliases=[(name, target_id) for _pk, name, target_id in aliases],
        thresholds=thresholds_for(integration),
    )
    return _Cached(index, started, {pk for pk, _name, _target in aliases}, generation)


def _refresh(cached: _Cached, integration, connection, record_type: str) -> None:
    started = timezone.now()
    since = cached.seen_until - SLACK
    changed = mirror_rows(connection, record_type).filter(updated_at__gte=since).order_by("updated_at")
    for row in changed:
        if cached.recent.get(row.remote_id) == row.updated_at:
            continue
        cached.recent[row.remote_id] = row.updated_at
        if row.deleted:
            cached.index.remove(row.remote_id)
        else:
            cached.index.add(_as_target(row))
    cached.recent = {key: stamp for key, stamp in cached.recent.items() if stamp >= started - SLACK}
    aliases = MatchAlias.objects.filter(integration=integration, target_type=record_type, created_at__gte=since)
    for alias in aliases:
        if alias.pk not in cached.alias_ids:
            cached.index.add_alias(alias.source_name, alias.target_id)
            cached.alias_ids.add(alias.pk)
    cached.seen_until = started
    cached.index.thresholds = thresholds_for(integration)


def outlived_tombstones(cached: _Cached) -> bool:
    """Its last look is older than the rows of deleted records are kept (syncs.retention): a deletion it never
    saw may have no row left to tell it, so it is rebuilt instead."""
    return cached.seen_until <= timezone.now() - timedelta(days=settings.MIRROR_TOMBSTONE_DAYS) + SLACK


def _key(integration, record_type: str, connection) -> tuple:
    return (connection.uuid, record_type, integration.uuid)


def index_for(integration, record_type: str, connection=None) -> MatchIndex:
    """The match index over `connection`'s mirror (default: the integration's target) and its aliases."""
    connection = connection or integration.target
    key = _key(integration, record_type, connection)
    generation = _generation(integration)
    with _LOCK:
        cached = _INDEXES.get(key)
        if cached is None or cached.generation != generation or outlived_tombstones(cached):
            cached = _INDEXES[key] = _build(integration, connection, record_type, generation)
        else:
            _refresh(cached, integration, connection, record_type)
        _INDEXES.move_to_end(key)
        _evict()
        return cached.index


def built_index(integration, record_type: str, connection=None) -> MatchIndex | None:
    """The index this process already holds, brought up to date, or None: never built here (web requests)."""
    connection = connection or integration.target
    key = _key(integration, record_type, connection)
    with _LOCK:
        cached = _INDEXES.get(key)
        if cached is None or cached.generation != _generation(integration) or outlived_tombstones(cached):
            return None
        _refresh(cached, integration, connection, record_type)
        _INDEXES.move_to_end(key)
        return cached.index


def _evict() -> None:
    """Drop the least recently used indexes until the rest hold at most MATCH_INDEX_MAX_NAMES names; the one just
    used stays, however large."""
    total = sum(cached.index.names for cached in _INDEXES.values())
    while total > settings.MATCH_INDEX_MAX_NAMES and len(_INDEXES) > 1:
        _, oldest = _INDEXES.popitem(last=False)
        total -= oldest.index.names


def held_indexes() -> list[tuple]:
    """The keys (connection uuid, record type, integration uuid) of the indexes held, least recently used first."""
    with _LOCK:
        return list(_INDEXES)


def forget_indexes() -> None:
    """Drop every cached index (tests; a process that wants its memory back)."""
    with _LOCK:
        _INDEXES.clear()
