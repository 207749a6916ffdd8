"""Claiming a job: a lease with an expiry, never while another job of the same source record holds one.

A job is taken with a conditional UPDATE (on PostgreSQL under a per-record advisory lock, so two different jobs
of one record can never both pass the check). Every claim has an owner of its own (host, process and a random
token), so forked or threaded workers of one host never pass for one another.

The lease is short (`SYNC_LEASE_SECONDS`) and kept while the job runs: `hold(job)` is the heartbeat, called
before and after each provider call and before anything is recorded. It renews the lease with one conditional
UPDATE once a third of it has passed, so after any heartbeat the job is surely ours for two thirds of a lease
(the clocks of the machines may differ by less than that). A renewal that finds the job taken over (its lease
expired, another runner claimed it) raises `LeaseLost`: the run stops before writing a timeline entry, a link,
a ledger row or a status, and leaves the job to its new owner. A worker killed mid-job renews nothing, so its
job is taken over one lease later.
"""

import contextlib
import os
import secrets
import socket
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

import audit
from audit.models import AuditEvent
from connections.providers import http
from syncs.models import SyncJob

HOST = socket.gethostname()[:60]


class LeaseLost(Exception):
    """The job was taken over by another runner after our lease expired: stop, record nothing more."""

    def __init__(self, job_pk: int):
        super().__init__(f"the lease of job {job_pk} was taken over by another runner")
        self.job_pk = job_pk


def lease_seconds() -> int:
    return settings.SYNC_LEASE_SECONDS


def new_owner() -> str:
    """An owner for one claim: the host and process say who, the token makes it this claim's alone."""
    return f"{HOST}:{os.getpid()}:{secrets.token_hex(8)}"


@dataclass
class Lease:
    """One runner's hold on the jobs it claimed together (one job, or a batch): renewed together, lost one by one."""

    owner: str
    renewed_at: datetime
    held: set[int] = field(default_factory=set)
    settled: set[int] = field(default_factory=set)
    lost: set[int] = field(default_factory=set)

    @classmethod
    def new(cls, owner: str | None = None) -> "Lease":
        return cls(owner or new_owner(), timezone.now())

    def keep(self, job_pk: int | None = None) -> None:
        """The heartbeat: renew once a third of the lease has passed; `LeaseLost` when `job_pk` is not ours."""
        if job_pk is not None and job_pk in self.settled:
            return
        if job_pk not in self.lost and timezone.now() - self.renewed_at >= timedelta(seconds=lease_seconds() / 3):
            self.renew()
        if job_pk is not None and job_pk in self.lost:
            raise LeaseLost(job_pk)

    def renew(self) -> None:
        """One UPDATE for every job still held; only when some are missing, one SELECT to say which."""
        now = timezone.now()
        running = self.held - self.settled - self.lost
        if running:
            ours = SyncJob.objects.filter(pk__in=running, status=SyncJob.Status.RUNNING, lease_owner=self.owner)
            if ours.update(lease_expires_at=now + timedelta(seconds=lease_seconds())) < len(running):
                self.lost |= running - set(ours.values_list("pk", flat=True))
        self.renewed_at = now


def hold(job: SyncJob | None) -> None:
    """Raise `LeaseLost` unless the job is still ours, renewing its lease when due (no-op for a job not claimed
    here, such as one a test or a page builds a context for)."""
    lease = getattr(job, "lease", None)
    if lease is not None:
        lease.keep(job.pk)


@contextlib.contextmanager
def running(job: SyncJob):
    """Where a claimed job runs: its events land on its timeline, and each provider call is a heartbeat."""
    with audit.for_job(job), http.heartbeat(lambda: hold(job)):
        yield job


def record_lock_key(job: SyncJob) -> int:
    return zlib.crc32(f"{job.integration_id}|{job.source_type}|{job.source_id}".encode()) - 2**31


def claim(job_pk: int, owner: str | None = None, *, lease: Lease | None = None) -> SyncJob | None:
    """Take the job if it is due and no other job of the same source record holds a live lease.

    The job comes back with its `lease`: a new one for this claim, or `lease` when a batch claims several."""
    lease = lease or Lease.new(owner)
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
                lease_owner=lease.owner,
                lease_expires_at=lease.renewed_at + timedelta(seconds=lease_seconds()),  # ours surely till then
                attempts=F("attempts") + 1,
                started_at=now,
            )
        )
    if not taken:
        return None
    job = SyncJob.objects.select_related("integration__source", "integration__target", "event").get(pk=job_pk)
    lease.held.add(job_pk)
    job.lease = lease
    return job


def settle(job: SyncJob, status: str, **fields) -> None:
    """Write the outcome only if we still hold the lease; `LeaseLost` otherwise (the job is its new runner's)."""
    now = timezone.now()
    values = {"status": status, "lease_owner": "", "lease_expires_at": None, **fields}
    if status in (SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED):
        values["finished_at"] = now
    done = SyncJob.objects.filter(pk=job.pk, status=SyncJob.Status.RUNNING, lease_owner=job.lease_owner).update(
        **values
    )
    if not done:
        raise LeaseLost(job.pk)
    for key, value in values.items():
        setattr(job, key, value)
    lease = getattr(job, "lease", None)
    if lease is not None:
        lease.settled.add(job.pk)
    if not job.dry_run and status in (SyncJob.Status.SUCCEEDED, SyncJob.Status.FAILED):
        keep_failures(job)


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
