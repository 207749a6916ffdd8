"""Running an integration's due jobs together, for flows whose target takes many records per call.

A backfill of 1,000 invoices into Salesforce is 1,000 jobs; written one by one they spend 1,000 calls of the
org's daily allocation, through sObject Collections five. `run_batch` claims up to a collection's worth of
due jobs and runs each one's fetch, map and matching exactly as `run` would, then writes the parts that
changed part by part (every job's Account, then every job's Opportunity), one `flow.write_many` call per kind
of part. Each record's own answer settles its own job, on its own timeline, so one bad record fails alone and
a refused call retries only the jobs it carried. A part shared by several jobs of the batch (two invoices of
one new client) is written once.

The batch's jobs are claimed under one lease: each heartbeat, whichever job it is made for, renews them all
in one UPDATE, so the last jobs of a batch are not taken over while the first are prepared. A job taken over
all the same (a stalled worker) leaves the batch, noted once, and the others go on.
"""

import contextlib
from dataclasses import dataclass, field

from django.utils import timezone

from connections.models import Integration
from connections.providers import http
from connections.providers.errors import ProviderError
from syncs.engine.claims import Lease, LeaseLost, claim, running
from syncs.engine.context import Context
from syncs.engine.run import (
    TaskClock,
    Write,
    continue_draining,
    finish,
    land_part,
    lease_lost,
    plan_part,
    preflight,
    prepare,
    run_due,
    settle_failure,
)
from syncs.flows.base import Plan
from syncs.models import SyncJob


@dataclass
class Item:
    job: SyncJob
    ctx: Context
    record: dict
    ref: object
    plan: Plan
    outcomes: list = field(default_factory=list)
    alive: bool = True


def run_batch(integration_pk: int, limit: int = 1000) -> int:
    """Drain the integration's due jobs, a batch at a time where its flow writes in bulk; returns how many ran."""
    integration = Integration.objects.select_related("tenant", "source", "target").get(pk=integration_pk)
    flow = integration.flow
    size = getattr(flow, "batch_size", 0) if flow is not None else 0
    if not size or not hasattr(flow, "write_many"):
        return run_due(integration_pk, limit)
    ran, clock = 0, TaskClock()
    while ran < limit:
        if ran and clock.spent():
            continue_draining(integration_pk)
            break
        due = SyncJob.objects.filter(
            integration_id=integration_pk, status=SyncJob.Status.PENDING, next_attempt_at__lte=timezone.now()
        ).order_by("next_attempt_at", "pk")
        lease = Lease.new()
        pks = list(due.values_list("pk", flat=True)[:size])
        jobs = [job for pk in pks if (job := claim(pk, lease=lease)) is not None]
        if not jobs:
            break
        ran += len(jobs)
        write_together(integration, flow, jobs)
    return ran


@contextlib.contextmanager
def step_of(job: SyncJob, item: "Item | None" = None):
    """A step of one job of the batch, run as `run` runs a job; a job taken over meanwhile leaves the batch."""
    try:
        with running(job):
            yield
    except LeaseLost:
        lease_lost(job)
        if item is not None:
            item.alive = False


def write_together(integration, flow, jobs: list[SyncJob]) -> None:
    items = []
    for job in jobs:
        ctx = Context(job, integration)
        with step_of(job):
            if preflight(job, ctx):
                continue
            try:
                prepared = prepare(job, ctx, flow)
            except Exception as exc:
                settle_failure(job, ctx, exc)  # a lost lease is raised again, and ends this job's part here
                continue
            if prepared is not None:
                items.append(Item(job, ctx, *prepared))
    for name in part_order(items):
        write_parts(flow, [item for item in items if item.alive], name)
    for item in items:
        if item.alive:
            with step_of(item.job, item):
                finish(item.job, item.plan, item.outcomes)


def part_order(items: list[Item]) -> list[str]:
    """Kinds of part in the order plans write them (an Account before the Opportunity that points at it)."""
    rank = {}
    for item in items:
        for index, part in enumerate(item.plan.parts):
            rank[part.part] = max(rank.get(part.part, 0), index)
    return sorted(rank, key=rank.get)


def write_parts(flow, items: list[Item], name: str) -> None:
    steps: dict[tuple, list[tuple[Item, Write]]] = {}
    for item in items:
        part = next((p for p in item.plan.parts if p.part == name), None)
        if part is None:
            continue
        with step_of(item.job, item):
            try:
                step = plan_part(item.job, item.ctx, flow, item.record, item.ref, part)
            except Exception as exc:
                item.alive = False
                settle_failure(item.job, item.ctx, exc)
                continue
            if isinstance(step, dict):
                item.outcomes.append(step)
                continue
            key = (step.source.type, step.source.id, part.part, part.fingerprint)
            if key not in steps:
                item.ctx.writing(*step.ledger_args)
            steps.setdefault(key, []).append((item, step))
    if not steps:
        return
    first = [sharing[0] for sharing in steps.values()]
    ctx = first[0][0].ctx
    try:
        with http.heartbeat(ctx.job.lease.keep):  # one call for many jobs: it renews them all, stops none
            answers = flow.write_many(ctx, [(step.part, step.target_id) for _, step in first])
    except Exception as exc:  # the whole call was refused: every job it carried settles the same way
        answers = [exc] * len(first)
    for sharing, answer in zip(steps.values(), answers, strict=True):
        for item, step in sharing:
            with step_of(item.job, item):
                if isinstance(answer, BaseException):
                    if isinstance(answer, ProviderError) and not answer.retryable:
                        item.ctx.unwritten(step.source.type, step.source.id, step.part.part)
                    settle_failure(item.job, item.ctx, answer)
                    item.alive = False
                else:
                    item.outcomes.append(land_part(item.ctx, step, answer))
