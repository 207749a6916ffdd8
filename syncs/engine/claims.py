"""Claiming a job: a lease with an expiry, never while another job of the same source record holds one.

A job is taken with a conditional UPDATE (on PostgreSQL under a per-record advisory lock, so two different jobs
of one record can never both pass the check), and settled only by the runner still holding its lease: a job
reclaimed after its lease expired belongs to its new runner.
"""

import os
import socket
import zlib
from datetime import timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from audit.models import AuditEvent
from syncs.models import SyncJob

OWNER = f"{socket.gethostname()}:{os.getpid()}"


def lease_seconds() -> int:
    return settings.SYNC_LEASE_SECONDS


def record_lock_key(job: SyncJob) -> int:
    return zlib.crc32(f"{job.integration_id}|{job.source_type}|{job.source_id}".encode()) - 2**31


def claim(job_pk: int, owner: str = OWNER) -> SyncJob | None:
    """Take the job if it is due and no other job of the same source record holds a live lease."""
    now = timezone.now()
    job = SyncJob.objects.filter(pk=job_pk).first()
    if job is None:
        return None
    with transaction.atomic():
        if db_connection.vendor == "postgresql":
            # Serialise claims per source record so two different jobs of it can never both pass the check.
            with db_connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [record_lock_key(job)])
        busy = SyncJob.objects.filter(
            integration_id=OuterRef("integration_id"),
            source_type=OuterRef("source_type"),
            source_id=OuterRef("source_id"),
            status=SyncJob.Status.RUNNING,
            lease_expires_at__gt=now,
        ).exclude(pk=OuterRef("pk"))
        claimable = Q(status=SyncJob.Status.PENDING, next_attempt_at__lte=now) | Q(
            status=SyncJob.Status.RUNNING, lease_expires_at__lte=now
        )
        taken = (
            SyncJob.objects.filter(claimable, pk=job_pk)
            .exclude(Exists(busy))
            .update(
                status=SyncJob.Status.RUNNING,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds()),
                attempts=F("attempts") + 1,
                started_at=now,
            )
        )
    if not taken:
        return None
    return SyncJob.objects.select_related("integration__source", "integration__target", "event").get(pk=job_pk)


def settle(job: SyncJob, status: str, **fields) -> bool:
    """Write the outcome only if we still hold the lease (a reclaimed job belongs to its new runner)."""
    now = timezone.now()
    values = {"status": status, "lease_owner": "", "lease_expires_at": None, **fields}
    if status in (SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED):
        values["finished_at"] = now
    done = SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.RUNNING, lease_owner=job.lease_owner).update(
        **values
    )
    for key, value in values.items():
        setattr(job, key, value)
    if done and not job.dry_run and status in (SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED):
        keep_failures(job)
    return bool(done)


def keep_failures(job: SyncJob) -> None:
    """Pin a failed job's audit events against pruning; unpin earlier failures of its record once it succeeds.

    A failure is resolved when a later job of the same source record succeeds (a replay, or a new event).
    """
    if job.status == SyncJob.Status.FAILED:
        AuditEvent.objects.filter(job=job).update(pinned=True)
        return
    resolved = SyncJob.objects.filter(
        integration_id=job.integration_id,
        source_type=job.source_type,
        source_id=job.source_id,
        status__in=[SyncJob.Status.FAILED, SyncJob.Status.PARKED],
        pk__lt=job.pk,
    )
    AuditEvent.objects.filter(job__in=resolved, pinned=True).update(pinned=False)
