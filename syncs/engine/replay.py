"""Replay: a new job for the same source record, pointing at the original; a dry run writes nothing."""

import audit
from syncs.engine.jobs import new_job, queue_task
from syncs.models import SyncJob

BATCH = 500


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
    """Queue a replay of every failed or parked job of a filtered list (the failures page's "Replay all");
    returns how many. The replays are made by tasks of at most BATCH jobs each, so the request that asks
    (page or API) never does unbounded work; `replay_jobs` is what each task runs."""
    pks = list(queryset.filter(status__in=[SyncJob.Status.FAILED, SyncJob.Status.PARKED]).values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH):
        chunk = pks[start : start + BATCH]
        if not queue_task("syncs.tasks.replay_jobs", chunk, actor.pk if actor else None):
            replay_jobs(chunk, actor)  # no queue to hand it to: do it here rather than lose the request
    return len(pks)


def replay_jobs(pks: list[int], actor=None) -> int:
    """Replay these jobs, skipping any that is no longer a failure (replayed twice, or put right meanwhile)."""
    count = 0
    for job in SyncJob.objects.filter(
        pk__in=pks, status__in=[SyncJob.Status.FAILED, SyncJob.Status.PARKED]
    ).select_related("integration", "event"):
        waiting = SyncJob.objects.filter(replay_of=job, status__in=[SyncJob.Status.PENDING, SyncJob.Status.RUNNING])
        if not waiting.exists():
            replay(job, actor)
            count += 1
    return count
