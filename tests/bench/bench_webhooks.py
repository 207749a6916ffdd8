"""Webhook ingest benchmark: signed FreshBooks deliveries against a running server. Prints, never asserts.

    .venv/bin/python -m tests.bench.bench_webhooks                 # starts gunicorn on a scratch SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1/bench .venv/bin/python -m tests.bench.bench_webhooks --workers 4
    .venv/bin/python -m tests.bench.bench_webhooks --requests 50  # tiny, as CI runs it

What it measures: acknowledgements per second and p50/p99 latency of valid deliveries (each one verified,
stored as an InboundEvent and enqueued on commit), then the same for deliveries with a bad signature.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = "bench-verifier-0123456789abcdef"


def sign(pairs):
    message = json.dumps({k: str(v) for k, v in pairs}).encode()
    return base64.b64encode(hmac.new(VERIFIER.encode(), message, hashlib.sha256).digest()).decode()


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
        defaults={{"addresses": {{"account_id": "BENCH1"}}}})
    c.webhook_secret = json.dumps({{"1": "{VERIFIER}"}})
    c.settings = {{"webhooks": {{"callbacks": {{"1": {{"event": "invoice", "verified": True}}}}}}}}
    c.access_token = "x"
    c.save()
    print(c.uuid)
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def run(url, connection_uuid, total, concurrency, valid, offset):
    import requests

    session_per_thread = {}

    def one(n):
        import threading

        session = session_per_thread.setdefault(threading.get_ident(), requests.Session())
        pairs = [
            ("name", "invoice.update"),
            ("object_id", str(offset + n)),
            ("account_id", "BENCH1"),
            ("business_id", "1"),
            ("identity_id", "1"),
            ("user_id", "1"),
        ]
        signature = sign(pairs) if valid else "bm90LXZhbGlk"
        started = time.perf_counter()
        response = session.post(
            f"{url}/webhooks/freshbooks/{connection_uuid}/",
            data=urlencode(pairs),
            headers={"Content-Type": "application/x-www-form-urlencoded", "X-FreshBooks-Hmac-SHA256": signature},
            timeout=30,
        )
        return response.status_code, (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, range(total)))
    elapsed = time.perf_counter() - started
    latencies = sorted(ms for _, ms in results)
    statuses = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return total / elapsed, statistics.median(latencies), p99, statuses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server; default: start gunicorn here")
    parser.add_argument("--connection", help="connection uuid on --url (prepared by this script otherwise)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="mlc-bench-")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mlconnector.settings",
        "READ_DOT_ENV": "0",
        "DEBUG": "1",
        "Q_BROKER": os.environ.get("Q_BROKER", "orm"),
        "LOG_LEVEL": "WARNING",
        "WEBHOOK_REJECTIONS_PER_MINUTE": "1000000",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
    server = None
    url, connection_uuid = args.url, args.connection
    if url is None:
        connection_uuid = prepare(env)
        url = "http://127.0.0.1:8099"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "mlconnector.wsgi",
                "--bind",
                "127.0.0.1:8099",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        time.sleep(3)
    try:
        database = env["DATABASE_URL"].split("://")[0]
        print(f"webhook ingest, {database}, {args.workers} gunicorn workers, {args.requests} requests per run")
        print(f"{'kind':<10}{'concurrency':>12}{'acks/s':>10}{'p50 ms':>10}{'p99 ms':>10}  statuses")
        offset = int(time.time())
        for valid in (True, False):
            for concurrency in args.concurrency:
                rate, p50, p99, statuses = run(url, connection_uuid, args.requests, concurrency, valid, offset)
                offset += args.requests
                kind = "valid" if valid else "bad sig"
                print(f"{kind:<10}{concurrency:>12}{rate:>10.0f}{p50:>10.1f}{p99:>10.1f}  {statuses}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
