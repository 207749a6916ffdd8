"""The sweeper: nothing stays stuck because a queue message was lost or a worker died.

Scheduled every minute (and every few seconds by `manage.py run_sweeper`): jobs that are due, jobs whose lease
expired (a killed worker), events whose enqueue was lost, and parked jobs whose connection works again. A
running job renews its short lease (`SYNC_LEASE_SECONDS`) while it runs, so an expired one is a dead worker's:
it is handed on one lease and one sweep after the worker last renewed it, the longest orphaned first.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django_scopes import scopes_disabled

from connections.models import Connection
from syncs.engine.jobs import enqueue, queue_task
from syncs.models import InboundEvent, SyncJob


def sweep(limit: int = 500) -> dict:
    """Enqueue what is due or orphaned; returns how many of each."""
    now = timezone.now()
    counts = {"due": 0, "reclaimed": 0, "events": 0, "resumed": 0}
    with scopes_disabled():
        resumable = list(
            SyncJob.objects.filter(status=SyncJob.Status.PARKED, integration__enabled=True)
            .exclude(
                Q(integration__source__status=Connection.Status.NEEDS_REAUTH)
                | Q(integration__target__status=Connection.Status.NEEDS_REAUTH)
            )
            .values_list("pk", flat=True)[:limit]
        )
        counts["resumed"] = SyncJob.objects.filter(pk__in=resumable, status=SyncJob.Status.PARKED).update(
            status=SyncJob.Status.PENDING, next_attempt_at=now
        )
        expired = list(
            SyncJob.objects.filter(status=SyncJob.Status.RUNNING, lease_expires_at__lte=now)
            .order_by("lease_expires_at")
            .values_list("pk", flat=True)[:limit]
        )
        counts["reclaimed"] = len(expired)
        # A job that never started has its own wake-up message on its way: give it a grace period. A job put
        # back to wait (a retry, a rate-limit pause, pacing) has none: it is due the moment its wait ends.
        due = list(
            SyncJob.objects.filter(status=SyncJob.Status.PENDING, next_attempt_at__lte=now)
            .filter(Q(started_at__isnull=False) | Q(next_attempt_at__lte=now - timedelta(seconds=10)))
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        counts["due"] = len(due)
        stale_events = list(
            InboundEvent.objects.filter(
                status=InboundEvent.Status.RECEIVED, received_at__lte=now - timedelta(seconds=30)
            ).values_list("pk", flat=True)[:limit]
        )
        counts["events"] = len(stale_events)
    for pk in stale_events:
        queue_task("syncs.tasks.process_event", pk)
    for pk in [*resumable, *expired, *due]:
        enqueue(pk)
    return counts
