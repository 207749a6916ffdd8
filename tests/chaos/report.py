"""The chaos run's figures: printed at the end of every run, and written to docs/reliability.md on request."""

import platform
from datetime import UTC, datetime

FAULT_NAMES = {
    "sigkill": "a worker or sweeper killed (SIGKILL to its process group), started again 0.5-3 s later",
    "postgres_restart": "PostgreSQL restarted (once cleanly, once as a crash)",
    "redis_restart": "Redis restarted without persistence (queue, locks, pauses and budgets lost)",
    "sandbox_stopped": "the provider sandbox stopped (calls refused), then started with its state",
    "errors_5xx": "30% of every provider's calls answered 503",
    "rate_limit_storm": "Zendesk and Zuora answering every call with 429 and Retry-After",
    "timeouts": "Zendesk holding connections past the read timeout, and answering ticket calls after it "
    "(notes written, answers lost); Zuora losing the answers of writes it made",
    "token_revoked": "Zendesk's access token revoked (refreshed by the app), then every token (a person reconnects)",
}


# What the first chaos runs found, and what became of it; kept beside the figures they produce.
FINDINGS = """
## What the chaos run found

Each was a loss or a failure for good under these faults; each is fixed, with a test that failed before:

- `run_sweeper` exited on a PostgreSQL restart (an `OperationalError` out of its loop), so reclaiming a killed
  worker's jobs waited for the minute's `sweep-jobs` schedule; a failed sweep is now logged and the next one
  runs on a fresh connection.
- FreshBooks -> Salesforce: an Account whose upsert timed out (still pending in the ledger) counted as written,
  so the client's next invoice sent its Opportunity alone and Salesforce refused it for good (the Account's
  external id not found); the plan now carries the Account again until it surely landed.
- Zuora: an HTTP 503 whose body said `success: false` (category 60) was read as a refusal; every 500, 502, 503
  and 504 is now retried, as Zuora advises.
- The write ledger: a job's refusal deleted the row of a part another job had written meanwhile (an invoice's
  job and its payment's both bill the Zuora invoice), so every later job created the invoice again, Zuora
  refused the taken number, and the payments never applied, replay or not. A refusal now undoes only a pending
  mark, and the Zuora flow takes an invoice Zuora already holds under the FreshBooks id when a create is refused.

Found and left as it is: a 429 from Salesforce carrying `REQUEST_LIMIT_EXCEEDED` is read as the org's daily
allocation spent (a 30-minute pause, whatever its Retry-After says), so the run's 429 storm is aimed at Zendesk
and Zuora only. The run's own PostgreSQL keeps `synchronous_commit` on: off, a crash loses commits the app had
already answered 200 for, and the run counts those webhooks lost.
"""


def print_figures(f: dict) -> None:
    first, final = f.get("first_check", {}), f.get("final_check", {})
    print("\n==== chaos run figures ====")
    print(f"scale {f['scale']}, seed {f['seed']}, {f.get('run_seconds')} s in all, passed: {f.get('passed')}")
    print(f"changes made in FreshBooks: {f.get('changes')}")
    print(f"faults injected: {f.get('faults')}")
    print(f"events stored: {f.get('events_stored')}; jobs by status: {f.get('jobs')}; attempts {f.get('job_attempts')}")
    print(f"webhook deliveries: {f.get('webhook_deliveries')}")
    print(f"API calls: {f.get('api_calls')}; of them faulted: {f.get('api_calls_faulted')}")
    print(f"writes made whose answers were lost: {f.get('answers_lost')}")
    print(f"drain: {f.get('drain')}; failures page: {f.get('failures_page')}")
    print(f"while Zendesk was disconnected: {f.get('while_disconnected')}")
    print(
        f"first check: {first.get('found_total')} of {first.get('expected_total')} found, {first.get('duplicates')} dup"
    )
    for problem in f.get("first_problems", [])[:15]:
        print(f"    {problem}")
    if "drain_after_replay" in f:
        print(f"replayed from the failures page (HTTP {f.get('replay_status')}), drain {f['drain_after_replay']}")
    print(
        f"final check: {final.get('found_total')} of {final.get('expected_total')} found; by kind {final.get('found')}"
    )
    for problem in f.get("final_problems", [])[:15]:
        print(f"    {problem}")
    for record, lines in (f.get("final_problem_jobs") or {}).items():
        print(f"  jobs of {record}:")
        for line in lines:
            print(f"    {line}")
    print(f"failed or parked jobs, by reason: {f.get('failed_jobs')}")
    print(f"processes that ended by themselves: {f.get('process_exits')}")
    print(
        f"duplicates: {f.get('duplicates')}, lost: {f.get('lost')}, failures not on the page: "
        f"{f.get('failures_not_on_page')}"
    )
    if f.get("error"):
        print(f"error: {f['error']}")


def write_docs(f: dict, path) -> None:
    final, first = f["final_check"], f["first_check"]
    faults = "\n".join(f"| {FAULT_NAMES.get(k, k)} | {v} |" for k, v in f["faults"].items())
    kinds = "\n".join(
        f"| {kind} | {n} | {first['found'].get(kind, 0)} | {final['found'].get(kind, 0)} |"
        for kind, n in sorted(final["expected"].items())
    )
    page = f["failures_page"]
    disconnected = f.get("while_disconnected") or {}
    calls, faulted = sum(f["api_calls"].values()), sum(f["api_calls_faulted"].values())
    parked = disconnected.get("parked", 0)
    text = f"""# Reliability: the chaos run

`make chaos` (`tests/chaos/run.py`) runs the demo company's flows, FreshBooks to Zendesk, Salesforce and Zuora,
as on two machines: a PostgreSQL cluster and a Redis of its own, gunicorn, two `qcluster` and two `run_sweeper`
processes, and the provider sandbox, all on loopback. While a bookkeeper makes changes in FreshBooks, whose
webhooks reach the app, faults are injected on a schedule drawn from a seed. Then the faults stop, the system
drains (waiting retries are brought forward rather than sat out), and every target is compared with the source
in the flows' own words: each Zendesk organization's billing and contact sections and custom fields, one note
per invoice version on each open ticket, each Salesforce Account and Opportunity, each Zuora Account, posted
Invoice and applied Payment. Failed and parked jobs must be on the failures page; they are replayed from it,
as an operator would, and the targets compared again. CI runs it at `CHAOS_SCALE=tiny`.

Measured {datetime.now(UTC):%Y-%m-%d} ({platform.machine()}, Python {platform.python_version()}), scale `{f["scale"]}`,
seed {f["seed"]}: {f["run_seconds"]} s in all, of which {f["chaos_seconds"]} s of faults.

## What happened

| | |
|---|---|
| changes made in FreshBooks | {", ".join(f"{v} {k}" for k, v in f["changes"].items())} |
| webhook deliveries | {", ".join(f"{v} {k}" for k, v in f["webhook_deliveries"].items())} |
| events stored | {f["events_stored"]} |
| jobs | {", ".join(f"{v} {k}" for k, v in sorted(f["jobs"].items()))}; {f["job_attempts"]} attempts |
| writes made whose answers were lost | {", ".join(f"{v} {k}" for k, v in f["answers_lost"].items())} |
| API calls to the providers | {calls}, {faulted} of them answered by a fault |
| open failures on the page after the drain | {page["open"]} ({page["shown"]} shown, {page["parked"]} parked) |
| parked while Zendesk was disconnected | {parked} ({disconnected.get("shown", 0)} shown on the page) |

## Faults injected

| fault | times |
|---|---|
{faults}

## Writes

| write | expected | found after the drain | found at the end |
|---|---|---|---|
{kinds}
| **all** | **{final["expected_total"]}** | **{first["found_total"]}** | **{final["found_total"]}** |

Duplicates: **{f["duplicates"]}**. Lost: **{f["lost"]}**. Failures not on the failures page:
**{f["failures_not_on_page"]}**.
{FINDINGS}"""
    path.write_text(text)
