"""Backfill benchmark: N FreshBooks clients walked page by page into jobs, then run. Prints, never asserts.

    .venv/bin/python -m tests.bench.bench_backfill --records 5000
    .venv/bin/python -m tests.bench.bench_backfill --records 200      # tiny, as CI runs it

The emulators answer in process (no network); the database is a scratch SQLite file unless DATABASE_URL
names another. Reported: time to walk the source, time to run the jobs, peak resident memory, and resident
memory after every 1,000 records (flat is the goal: records are never all held at once).
"""

import argparse
import itertools
import os
import resource
import tempfile
import time


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(records: int = 5000, run_jobs: int = 500) -> dict:
    """Run in a process of its own (it sets Django up on a scratch database); returns the figures."""
    args = argparse.Namespace(records=records, run_jobs=run_jobs)
    scratch = tempfile.mkdtemp(prefix="mlc-backfill-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
    os.environ.update(DJANGO_SETTINGS_MODULE="tests.settings", LOG_LEVEL="ERROR")
    import django

    django.setup()
    import responses
    from django_q.conf import Conf

    Conf.SYNC = False  # jobs go to the queue (the database), as in production, instead of running inline
    from django.core.management import call_command
    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    call_command("migrate", verbosity=0)
    call_command("createcachetable")
    from connections.models import Connection, Integration, Tenant
    from connections.registry import FLOWS
    from connections.sandbox.base import FakeClock
    from connections.sandbox.oauth import Grant
    from connections.sandbox.registry import build_emulators
    from connections.sandbox.testing import Sandbox
    from syncs import engine, polling
    from syncs.models import SyncJob
    from tests.syncs.sample_flow import FLOW

    FLOWS[FLOW.slug] = "tests.syncs.sample_flow.FLOW"
    clock = FakeClock(time.time())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        box = Sandbox(build_emulators(clock=clock, seed=1), mock, clock)
        box.install()
        freshbooks, zendesk = box["freshbooks"], box["zendesk"]
        account = freshbooks.config["businesses"][0]["account_id"]
        started = time.perf_counter()
        for n in range(args.records):
            freshbooks.create(account, "client", {"organization": f"Client {n:06d}", "email": f"c{n}@example.com"})
        seeded = time.perf_counter() - started

        fb = freshbooks.oauth.issue_tokens(
            Grant("sandbox-freshbooks-client", "user:clients:read user:profile:read", {"identity_id": 1})
        )
        zd = zendesk.oauth.issue_tokens(
            Grant(
                "sandbox-zendesk-client",
                "read write",
                {"subdomain": "acme", "user_id": zendesk.account("acme").admin.id},
            )
        )
        with scopes_disabled():
            tenant = Tenant.objects.create(name="Bench", slug=f"bench-{time.time_ns()}")
            later = timezone.now() + timezone.timedelta(days=30)
            source = Connection.objects.create(
                tenant=tenant,
                provider="freshbooks",
                label="fb",
                addresses={"account_id": account},
                access_token=fb.access.value,
                refresh_token=fb.refresh.value,
                access_expires_at=later,
            )
            target = Connection.objects.create(
                tenant=tenant,
                provider="zendesk",
                label="zd",
                addresses={"subdomain": "acme"},
                access_token=zd.access.value,
                refresh_token=zd.refresh.value,
                access_expires_at=later,
            )
            integration = Integration.objects.create(
                tenant=tenant, kind=FLOW.slug, source=source, target=target, enabled=True
            )
        samples = []
        original = polling.save_progress

        def progress(integ, **values):
            original(integ, **values)
            mock.calls.reset()  # the in-process mock and the emulator journal keep what they answered;
            for registered in mock.registered():  # each registered callback keeps its own list of calls too
                registered.calls.reset()
            freshbooks.journal.clear()  # the app keeps nothing, which is what this measures
            if values.get("done", 0) // 1000 > len(samples) - 1:
                samples.append((values["done"], rss_mb()))

        polling.save_progress = progress
        base = rss_mb()
        samples.append((0, base))
        started = time.perf_counter()
        with scope(tenant=tenant):
            seen = polling.run(integration, backfill=True)
        walked = time.perf_counter() - started
        jobs = SyncJob.objects.with_scopes_disabled().filter(integration=integration)
        run_jobs = list(jobs.values_list("pk", flat=True)[: args.run_jobs])
        started = time.perf_counter()
        with scope(tenant=tenant):
            for pk in run_jobs:
                engine.run(pk)
        ran = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    every = max(1000, (args.records // 5) // 1000 * 1000)
    grid = [(done, mb) for done, mb in samples if done % every == 0]
    growth = [(b[1] - a[1]) / (b[0] - a[0]) * 10_000 for a, b in itertools.pairwise(grid[1:])]
    result = {
        "records": seen,
        "database": os.environ["DATABASE_URL"].split(":")[0],
        "walk_seconds": round(walked, 2),
        "walk_records_per_second": round(seen / walked, 1),
        "jobs": jobs.count(),
        "ran_jobs": len(run_jobs),
        "run_seconds": round(ran, 2),
        "peak_rss_mb": round(peak, 1),
        "rss_at_start_mb": round(base, 1),
        # after the first step (imports, caches warming), MB per 10,000 records walked
        "growth_mb_per_10k": round(max(growth), 2) if growth else None,
        "rss_samples": samples,
    }
    print(
        f"backfill of {seen} FreshBooks clients (seeded in {seeded:.1f} s), "
        f"database {os.environ['DATABASE_URL'].split(':')[0]}"
    )
    print(f"  walk source and create jobs: {walked:.1f} s ({seen / walked:.0f} records/s), {jobs.count()} jobs")
    if run_jobs:
        print(
            f"  run {len(run_jobs)} jobs: {ran:.1f} s ({len(run_jobs) / ran:.0f} jobs/s, "
            "3 API calls each on first sync)"
        )
    print(f"  peak RSS {peak:.0f} MB; RSS at start of walk {base:.0f} MB")
    print("  RSS by records walked: " + ", ".join(f"{done}: {mb:.0f} MB" for done, mb in samples))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--run-jobs", type=int, default=500, help="how many of the jobs to run (0: none)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    result = measure(args.records, args.run_jobs)
    if args.json:
        import json

        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
