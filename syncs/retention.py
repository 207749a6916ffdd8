"""Retention of the sync tables, so that jobs, inbound events, mirror rows and ledger rows stop growing.

Deleted, once past their age (SYNC_RETENTION_DAYS; MIRROR_TOMBSTONE_DAYS for mirror rows):
- finished jobs nothing needs: dry runs, and jobs of a record that a later job of the same record succeeded
  after. So every open failure stays (the failures page reads "not put right yet" from the absence of a later
  success, and a replay starts from the failed job), and so does the last success of each record (the
  dashboard's "last success", the record's latest outcome);
- processed or ignored inbound events that no job points to: a kept job keeps its event, whose body its
  timeline shows and its replays point to;
- mirror rows of records deleted on their system (tombstones), except those an open review item names. A match
  index that has not looked at the mirror for that long is rebuilt rather than refreshed (syncs.review.index),
  so no process misses a deletion whose row is gone;
- ledger rows of a record that its latest job found gone from the source, unless a review item about it is
  open. A record deleted or archived in FreshBooks can be restored, so its rows stay: without them a restored
  invoice would post its notes again, or be billed twice in Zuora.

Every foreign key into these tables is SET_NULL (an audit event's job and event, a job's event and
`replay_of`), so a delete cascades into nothing that is kept. Deleting runs in batches of primary keys, each
its own short statement, and a run starts no batch after BUDGET_SECONDS, well inside django-q2's 120 s task
timeout; the hourly schedule takes up what is left. Each tenant with something deleted gets one `sync.pruned`
audit event with the counts.
"""

import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_scopes import scopes_disabled

import audit
from connections.models import Tenant
from syncs.models import InboundEvent, RemoteRecord, ReviewItem, SyncJob, WriteLedger

logger = logging.getLogger(__name__)

BUDGET_SECONDS = 60  # no batch starts later; a batch is a few short statements
BATCH_SIZE = 1000
clock = time.monotonic  # a module attribute, so tests can move time on

FINISHED = (SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED, SyncJob.Status.PARKED)
GONE = "source record not found"  # the outcome `engine.run` settles a job with when the fetch finds nothing
KINDS = ("jobs", "events", "mirror_rows", "ledger_rows")


def same_record(**filters):
    """Jobs of the outer job's source record."""
    return SyncJob.objects.filter(
        integration_id=OuterRef("integration_id"),
        source_type=OuterRef("source_type"),
        source_id=OuterRef("source_id"),
        **filters,
    )


def prunable_jobs(cutoff: datetime):
    old = SyncJob.objects.filter(status__in=FINISHED, created_at__lt=cutoff).filter(
        Q(finished_at__isnull=True) | Q(finished_at__lt=cutoff)
    )
    later_success = same_record(status=SyncJob.Status.SUCCEEDED, dry_run=False, pk__gt=OuterRef("pk"))
    return old.filter(Q(dry_run=True) | Exists(later_success))


def prunable_events(cutoff: datetime):
    return (
        InboundEvent.objects.filter(received_at__lt=cutoff)
        .exclude(status=InboundEvent.Status.RECEIVED)
        .exclude(Exists(SyncJob.objects.filter(event=OuterRef("pk"))))
    )


def tombstones(cutoff: datetime):
    return RemoteRecord.objects.filter(deleted=True, updated_at__lt=cutoff)


def gone_records(cutoff: datetime):
    """The latest job of each record whose fetch found it gone, with ledger rows left to delete."""
    ledger = WriteLedger.objects.filter(
        integration_id=OuterRef("integration_id"), source_type=OuterRef("source_type"), source_id=OuterRef("source_id")
    )
    open_review = ReviewItem.objects.filter(
        integration_id=OuterRef("integration_id"),
        source_type=OuterRef("source_type"),
        source_id=OuterRef("source_id"),
        status=ReviewItem.Status.OPEN,
    )
    return (
        SyncJob.objects.filter(
            status=SyncJob.Status.SUCCEEDED, dry_run=False, result__outcome=GONE, finished_at__lt=cutoff
        )
        .filter(Exists(ledger))
        .exclude(Exists(same_record(dry_run=False, pk__gt=OuterRef("pk"))))
        .exclude(Exists(open_review))
    )


def named_by_open_reviews() -> set[tuple[int, str]]:
    """(connection, remote id) of every record an open review item names, on either side of its integration."""
    named = set()
    rows = ReviewItem.objects.filter(status=ReviewItem.Status.OPEN).values_list(
        "integration__source_id", "integration__target_id", "source_id", "linked_record_id", "candidates"
    )
    for source, target, source_id, linked, candidates in rows.iterator():
        ids = {source_id, linked, *(str(c.get("record_id")) for c in candidates or () if isinstance(c, dict))}
        named |= {(connection, record_id) for connection in (source, target) for record_id in ids if record_id}
    return named


@dataclass
class Run:
    deadline: float
    cutoff: datetime
    tombstone_cutoff: datetime
    batch_size: int
    counts: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    complete: bool = True

    def go_on(self) -> bool:
        if clock() < self.deadline:
            return True
        self.complete = False
        return False

    def batches(self, queryset, stamp: str, *fields: str):
        """`queryset`'s rows as (stamp, pk, *fields), in that order, a batch at a time while time is left, each
        batch starting where the last ended: rows kept (a record's last success, a reviewed tombstone) are
        passed over once, never read again by every following batch."""
        after = None
        while self.go_on():
            rows = queryset
            if after is not None:
                rows = rows.filter(Q(**{f"{stamp}__gt": after[0]}) | Q(**{stamp: after[0], "pk__gt": after[1]}))
            found = list(rows.order_by(stamp, "pk").values_list(stamp, "pk", *fields)[: self.batch_size])
            if found:
                yield found
            if len(found) < self.batch_size:
                return
            after = found[-1][:2]

    def delete(self, kind: str, queryset, rows) -> None:
        """Delete `rows` ((pk, tenant) pairs) that `queryset` still holds (it is re-checked in the statement,
        so a row changed since it was chosen stays), tenant by tenant for the counts."""
        by_tenant = defaultdict(list)
        for pk, tenant in rows:
            by_tenant[tenant].append(pk)
        for tenant, pks in by_tenant.items():
            # Only the keys: the collector loads what it deletes, and an event's body may be a megabyte.
            _total, per_model = queryset.filter(pk__in=pks).only("pk").delete()
            self.counts[tenant][kind] += per_model.get(queryset.model._meta.label, 0)


def prune_jobs(run: Run) -> None:
    for found in run.batches(prunable_jobs(run.cutoff), "created_at", "tenant_id"):
        run.delete("jobs", prunable_jobs(run.cutoff), [(pk, tenant) for _at, pk, tenant in found])


def prune_events(run: Run) -> None:
    for found in run.batches(prunable_events(run.cutoff), "received_at", "tenant_id"):
        run.delete("events", prunable_events(run.cutoff), [(pk, tenant) for _at, pk, tenant in found])


def prune_tombstones(run: Run) -> None:
    named = named_by_open_reviews()
    rows = tombstones(run.tombstone_cutoff)
    for found in run.batches(rows, "updated_at", "tenant_id", "connection_id", "remote_id"):
        run.delete(
            "mirror_rows",
            tombstones(run.tombstone_cutoff),
            [(pk, tenant) for _at, pk, tenant, connection, remote_id in found if (connection, remote_id) not in named],
        )


def prune_ledger(run: Run) -> None:
    fields = ("tenant_id", "integration_id", "source_type", "source_id")
    for found in run.batches(gone_records(run.cutoff), "created_at", *fields):
        by_tenant = defaultdict(Q)
        for _at, _pk, tenant, integration, source_type, source_id in found:
            by_tenant[tenant] |= Q(integration_id=integration, source_type=source_type, source_id=source_id)
        for tenant, records in by_tenant.items():
            run.counts[tenant]["ledger_rows"] += WriteLedger.objects.filter(records).delete()[0]


def prune(*, now: datetime | None = None, batch_size: int = BATCH_SIZE, budget: float = BUDGET_SECONDS) -> dict:
    """One run: what it deleted, in all, and whether it finished (False: the budget ran out first)."""
    now = now or timezone.now()
    run = Run(
        deadline=clock() + budget,
        cutoff=now - timedelta(days=settings.SYNC_RETENTION_DAYS),
        tombstone_cutoff=now - timedelta(days=settings.MIRROR_TOMBSTONE_DAYS),
        batch_size=batch_size,
    )
    with scopes_disabled():
        # Jobs first: the events only they pointed to are free for the same run.
        for stage in (prune_jobs, prune_events, prune_tombstones, prune_ledger):
            stage(run)
        report(run)
    totals = Counter()
    for counts in run.counts.values():
        totals.update(counts)
    summary = {**{kind: totals[kind] for kind in KINDS}, "complete": run.complete}
    logger.info("sync retention: %s", summary)
    return summary


def report(run: Run) -> None:
    tenants = Tenant.objects.in_bulk([tenant for tenant, counts in run.counts.items() if sum(counts.values())])
    for tenant_id, tenant in tenants.items():
        counts = {kind: run.counts[tenant_id][kind] for kind in KINDS}
        audit.record(
            "sync.pruned",
            tenant=tenant,
            message=(
                f"Deleted {counts['jobs']} finished jobs, {counts['events']} inbound events, "
                f"{counts['mirror_rows']} mirror rows of deleted records and {counts['ledger_rows']} ledger rows "
                "past their retention."
            ),
            data={
                **counts,
                "retention_days": settings.SYNC_RETENTION_DAYS,
                "tombstone_days": settings.MIRROR_TOMBSTONE_DAYS,
            },
        )


def pending(now: datetime | None = None) -> dict:
    """What a run would delete now (events freed by the jobs it deletes aside), for `prune_syncs --dry-run`."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SYNC_RETENTION_DAYS)
    with scopes_disabled():
        return {
            "jobs": prunable_jobs(cutoff).count(),
            "events": prunable_events(cutoff).count(),
            "mirror_rows": tombstones(now - timedelta(days=settings.MIRROR_TOMBSTONE_DAYS)).count(),
            "ledger_records": gone_records(cutoff).count(),
        }
