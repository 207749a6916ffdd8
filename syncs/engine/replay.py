"""Replay: a new job for the same source record, pointing at the original; a dry run writes nothing."""

import audit
from syncs.engine.jobs import new_job
from syncs.models import SyncJob


def replay(job: SyncJob, actor=None, *, dry_run: bool = False) -> SyncJob:
    """A new job for the same source record, pointing at the original; a dry run writes nothing."""
    new = new_job(
        job.integration,
        job.source_type,
        job.source_id,
        SyncJob.Trigger.REPLAY,
        event=job.event,
        replay_of=job,
        dry_run=dry_run,
    )
    audit.record(
        "job.replayed",
        tenant=job.tenant,
        integration=job.integration,
        actor=actor,
        message=f"{'Dry run of' if dry_run else 'Replay of'} the job for {job.source_type} {job.source_id}.",
        source_ref=f"{job.source_type}:{job.source_id}",
        data={"job": str(new.uuid), "replay_of": str(job.uuid), "dry_run": dry_run},
    )
    return new


def replay_matching(queryset, actor=None) -> int:
    """Replay every failed or parked job of a filtered list (the failures page's "Replay all")."""
    count = 0
    # Ids first, then one job at a time: no cursor stays open across the writes and the queueing.
    pks = list(queryset.filter(status__in=[SyncJob.Status.FAILED, SyncJob.Status.PARKED]).values_list("pk", flat=True))
    for start in range(0, len(pks), 500):
        for job in SyncJob.objects.filter(pk__in=pks[start : start + 500]).select_related("integration", "event"):
            replay(job, actor)
            count += 1
    return count
