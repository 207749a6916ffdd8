"""From a stored InboundEvent to work: one SyncJob per integration listening to it."""

from django.db import transaction
from django.utils import timezone

from syncs import mirror
from syncs.engine.jobs import jobs_for_event
from syncs.models import InboundEvent


def process(event: InboundEvent) -> int:
    """Mark the event processed exactly once; returns how many jobs it caused.

    The row is claimed with a conditional UPDATE, so a task run twice (a redelivered queue message, the
    sweeper racing the first enqueue) does the work once. A change to a mirrored record is mirrored first
    (outside the transaction: it is an API call), so the jobs match against what the record is now.
    """
    if event.status == InboundEvent.Status.RECEIVED:
        mirror.on_event(event)
    with transaction.atomic():
        claimed = InboundEvent.objects.filter(pk=event.pk, status=InboundEvent.Status.RECEIVED).update(
            status=InboundEvent.Status.PROCESSED, processed_at=timezone.now()
        )
        if not claimed:
            return 0
        return len(jobs_for_event(event))
