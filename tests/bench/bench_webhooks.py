"""Webhook ingest benchmark: signed FreshBooks deliveries beside a bare Django view on the same gunicorn.

    .venv/bin/python -m tests.bench.bench_webhooks                          # scratch PostgreSQL database
    .venv/bin/python -m tests.bench.bench_webhooks --database sqlite --requests 50   # tiny

What it measures, in one run against one server: for each concurrency, acknowledgements per second and
p50/p99 latency of valid deliveries (each verified, stored as an InboundEvent and enqueued), of the bare view
(`/bench/bare/`: the same middleware, no work) and of deliveries with a bad signature (refused with 401 and
an audit event); then all three at a fixed rate (200 requests per second by default) for the p99 target.
The load generator is a threaded Python client on the same machine, so it competes with the server for CPU:
ratios between the three paths are the robust figures. Prints, never asserts.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from tests.bench.common import (
    BENCH_REDIS,
    ROOT,
    Processes,
    closed_loop,
    create_pg_database,
    drop_pg_database,
    flush_redis,
    free_port,
    freshbooks_delivery,
    open_loop,
    start_gunicorn,
)

VERIFIER = "bench-verifier-0123456789abcdef"
ACCOUNT = "BENCH1"


def prepare(env):
    """Migrate and create a tenant with a FreshBooks connection whose invoice callback is verified."""
    script = f"""
import json, django
django.setup()
from django.core.management import call_command
from django_scopes import scopes_disabled
call_command("migrate", verbosity=0)
call_command("createcachetable")
from connections.models import Connection, Tenant
with scopes_disabled():
    tenant, _ = Tenant.objects.get_or_create(slug="bench", defaults={{"name": "Bench"}})
    c, _ = Connection.objects.get_or_create(tenant=tenant, provider="freshbooks", label="bench",
        defaults={{"addresses": {{"account_id": "{ACCOUNT}"}}}})
    c.webhook_secret = json.dumps({{"1": "{VERIFIER}"}})
    c.settings = {{"webhooks": {{"callbacks": {{"1": {{"event": "invoice", "verified": True}}}}}}}}
    c.access_token = "x"
    c.save()
    print(c.uuid)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def bench_env(database: str, scratch: str) -> tuple[dict, str | None]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
        "LOG_LEVEL": "ERROR",
        "WEBHOOK_REJECTIONS_PER_MINUTE": "100000000",
    }
    pg_url = None
    if database == "postgres":
        pg_url = create_pg_database()
        flush_redis()
        env.update(DATABASE_URL=pg_url, REDIS_URL=BENCH_REDIS, Q_BROKER="redis")
    else:
        env.update(DATABASE_URL=f"sqlite:///{scratch}/bench.sqlite3", Q_BROKER="orm")
        env.pop("REDIS_URL", None)
    return env, pg_url


def measure(database="postgres", requests=2000, concurrency=(1, 4, 16, 64), rate=200.0, workers=4) -> dict:
    scratch = tempfile.mkdtemp(prefix="mlc-bench-")
    env, pg_url = bench_env(database, scratch)
    result = {"database": database, "gunicorn_workers": workers, "requests_per_run": requests, "runs": []}
    try:
        connection_uuid = prepare(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with Processes() as processes:
            start_gunicorn(processes, env, port, workers)
            offset = int(time.time() * 1000)

            def batch(kind):
                nonlocal offset
                if kind == "bare":
                    body, headers = freshbooks_delivery(VERIFIER, 1, ACCOUNT)
                    return f"{base}/bench/bare/", [(body, headers)] * requests
                valid = kind == "valid"
                items = [freshbooks_delivery(VERIFIER, offset + n, ACCOUNT, valid=valid) for n in range(requests)]
                offset += requests
                return f"{base}/webhooks/freshbooks/{connection_uuid}/", items

            # Warm every worker (imports, connections) before timing anything.
            closed_loop(*batch("bare"), concurrency=max(concurrency))
            for level in concurrency:
                for kind in ("bare", "valid", "bad signature"):
                    url, items = batch(kind)
                    result["runs"].append({"kind": kind, "concurrency": level, **closed_loop(url, items, level)})
            for kind in ("bare", "valid", "bad signature"):
                url, items = batch(kind)
                result["runs"].append({"kind": kind, "concurrency": "fixed rate", **open_loop(url, items, rate)})
    finally:
        if pg_url:
            drop_pg_database(pg_url)
    return result


def report(result: dict) -> None:
    print(f"webhook ingest, {result['database']}, {result['gunicorn_workers']} gunicorn workers")
    print(f"{'kind':<15}{'concurrency':>12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    for run in result["runs"]:
        print(
            f"{run['kind']:<15}{run['concurrency']!s:>12}{run['rate']:>9.0f}{run['p50_ms']:>9.1f}"
            f"{run['p99_ms']:>9.1f}  {run['statuses']}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16, 64])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second of the fixed-rate run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    result = measure(args.database, args.requests, tuple(args.concurrency), args.rate, args.workers)
    report(result)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
