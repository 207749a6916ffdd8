"""The sync engine: durable jobs, one at a time per source record, retried politely, written once.

The database is the source of truth and the queue only a wake-up call:
- `jobs_for_event()` turns a stored InboundEvent into one SyncJob per listening integration;
- `run()` claims a job with a conditional UPDATE (a short lease of its own, renewed while the job runs; never
  while another job of the same source record holds one), runs the flow's steps, and settles the job; every
  step is an AuditEvent, and a run whose job was taken over (`LeaseLost`) stops before recording more;
- `sweep()` (scheduled) enqueues jobs that are due, reclaims jobs whose lease expired (a killed worker),
  processes events whose enqueue was lost, and resumes parked jobs once their connection works again.

Failures: `RateLimited` pauses the whole connection until its wait has passed; `Retryable` backs off
(`RETRY_SCHEDULE`, with jitter, never sooner than Retry-After) up to `SYNC_MAX_ATTEMPTS`; `AuthExpired` parks
the job until the connection is reconnected; `Permanent` fails at once, keeping the provider's message;
`NeedsReview` waits for a person. A flow's mapping is a plan of one or more parts; a part whose payload
fingerprint the ledger already holds is skipped, so replays and duplicate events never write twice, and a
retry after a crash between two parts resumes at the one that did not land.

Where each part lives: `jobs` (every job is created there), `claims` (leases), `context` (what a flow's steps
get, with the link and ledger reads and writes), `run` (the steps and the failure rules), `batch` (many jobs
written together, one call per kind of part), `pacing` (backoff, pauses, the rate budget), `sweeper`,
`replay`. This package's face re-exports what the rest of the code calls.
"""

from syncs.engine.batch import run_batch
from syncs.engine.claims import LeaseLost, claim, settle
from syncs.engine.context import Context
from syncs.engine.jobs import (
    enqueue,
    jobs_for_event,
    new_job,
    release,
    release_dependents,
    rematch,
    wait_for,
    waiting_for,
)
from syncs.engine.pacing import backoff, pause, paused_until, take_budget
from syncs.engine.replay import replay, replay_jobs, replay_matching
from syncs.engine.run import TaskClock, execute, retry_later, run, run_claimed, run_due
from syncs.engine.sweeper import sweep

__all__ = [
    "Context",
    "LeaseLost",
    "TaskClock",
    "backoff",
    "claim",
    "enqueue",
    "execute",
    "jobs_for_event",
    "new_job",
    "pause",
    "paused_until",
    "release",
    "release_dependents",
    "rematch",
    "replay",
    "replay_jobs",
    "replay_matching",
    "retry_later",
    "run",
    "run_batch",
    "run_claimed",
    "run_due",
    "settle",
    "sweep",
    "take_budget",
    "wait_for",
    "waiting_for",
]
