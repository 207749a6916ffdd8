"""End-to-end benchmark: FreshBooks invoice events through the real flow to notes on Zendesk tickets.

    .venv/bin/python -m tests.bench.bench_end_to_end --workers 1 2 4 --events 200     # PostgreSQL + Redis
    .venv/bin/python -m tests.bench.bench_end_to_end --database sqlite --workers 1      # the embedded default
    .venv/bin/python -m tests.bench.bench_end_to_end --rate-limit 700 --events 300     # under a rate limit

Everything real but the providers: gunicorn takes signed FreshBooks deliveries, `qcluster` workers run the
freshbooks_zendesk flow, which calls the emulators over HTTP (the sandbox server, in this process, so its
journals count every call). Seeded: clients in FreshBooks, each with an organization of the same name in
Zendesk (a contact and one open ticket), linked as a first event would leave them; then one new invoice per
event. Per worker count:
- latency: events sent at a gentle fixed rate, each timed from its delivery to its job's end (the note on the
  ticket is the job's last write), p50/p95/p99;
- throughput: events sent all at once, records per second until the last job ends;
- API calls per record by kind (token, fetch = source reads, lookup = target reads, write = target writes),
  beside the flow's minimum: one source fetch per event plus one call per target write (the organization's
  summary and one note per open ticket).
With `--rate-limit N`: the Zendesk emulator answers 429 past N requests a minute and the app paces itself as it
would against that plan; reported: calls accepted per minute as a fraction of the limit, 429s, time to drain.
Prints, never asserts; every wait is bounded.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import timedelta

from tests.bench.common import (
    BENCH_REDIS,
    Processes,
    create_pg_database,
    drop_pg_database,
    flush_redis,
    free_port,
    freshbooks_delivery,
    open_loop,
    percentile,
    rss_mb,
    start_gunicorn,
)

VERIFIER = "bench-e2e-verifier-0123456789abcdef"
TERMINAL = ("succeeded", "failed", "waiting_review", "parked")


class Bench:
    def __init__(self, database: str, clients: int, rate_limit: int | None):
        self.database = database
        self.clients = clients
        self.rate_limit = rate_limit
        self.scratch = tempfile.mkdtemp(prefix="mlc-e2e-")
        self.pg_url = None
        self.processes = Processes()

    # Setting up ---------------------------------------------------------------------------------------

    def environment(self) -> dict:
        self.sandbox_port, self.app_port = free_port(), free_port()
        env = {
            "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
            "LOG_LEVEL": "ERROR",
            "SANDBOX_URL": f"http://127.0.0.1:{self.sandbox_port}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.app_port}",
            "WEBHOOK_REJECTIONS_PER_MINUTE": "100000000",
        }
        if self.rate_limit is None:
            # No rate limit in this run: the app's own pacing (a share of Zendesk's published limit) is lifted too.
            env["SYNC_RATE_BUDGET_FRACTION"] = "1000"
        if self.database == "postgres":
            self.pg_url = create_pg_database()
            flush_redis()
            env.update(DATABASE_URL=self.pg_url, REDIS_URL=BENCH_REDIS, Q_BROKER="redis")
        else:
            env.update(DATABASE_URL=f"sqlite:///{self.scratch}/bench.sqlite3", Q_BROKER="orm", REDIS_URL="")
        os.environ.update(env)
        return {**os.environ}

    def setup(self) -> None:
        self.env = self.environment()
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("createcachetable")
        with open(os.devnull, "w") as quiet:
            call_command("setup_schedules", stdout=quiet)  # the sweeper wakes retried jobs
        from connections.sandbox.base import Journal
        from connections.sandbox.registry import build_emulators
        from connections.sandbox.server import SandboxServer

        self.emulators = build_emulators()
        for emulator in self.emulators.values():
            emulator.journal = Journal(emulator.clock, maxlen=2_000_000)
        self.fb, self.zd = self.emulators["freshbooks"], self.emulators["zendesk"]
        self.zd.config["rate_limit_per_minute"] = self.rate_limit or 1_000_000_000
        self.server = SandboxServer(self.emulators, port=self.sandbox_port).start()
        self.seed()

    def seed(self) -> None:
        from django.utils import timezone
        from django_scopes import scope, scopes_disabled

        from connections import registry
        from connections.models import Connection, Integration, Tenant
        from connections.sandbox.oauth import Grant
        from syncs.engine import Context
        from syncs.flows.freshbooks_zendesk import SLUG, WRITER
        from syncs.mirror import load as load_mirror

        self.account = self.fb.config["businesses"][0]["account_id"]
        fb_tokens = self.fb.oauth.issue_tokens(
            Grant(
                "sandbox-freshbooks-client",
                " ".join(registry.provider("freshbooks").scopes),
                {"identity_id": self.fb.config["identity"]["id"]},
            )
        )
        zd_account = self.zd.account("acme")
        zd_tokens = self.zd.oauth.issue_tokens(
            Grant("sandbox-zendesk-client", "read write", {"subdomain": "acme", "user_id": zd_account.admin.id})
        )
        later = timezone.now() + timedelta(days=30)
        self.client_ids = []
        pairs = []
        for n in range(self.clients):
            name = f"Bench Client {n:05d}"
            client = self.fb.create(self.account, "client", {"organization": name, "email": f"ap{n}@example.com"})
            org = zd_account.create_organization({"name": name})
            contact = {"name": f"{name} contact", "email": f"c{n}@example.com", "organization_id": org.id}
            person = zd_account.create_user(contact)
            zd_account.create_ticket({"subject": "Billing", "comment": {"body": "Hello"}, "requester_id": person.id})
            self.client_ids.append(client["id"])
            pairs.append((client["id"], org.id))
        zd_account.drain_events()
        with scopes_disabled():
            tenant = Tenant.objects.create(name="Bench", slug="bench")
            source = Connection.objects.create(
                tenant=tenant,
                provider="freshbooks",
                label="FreshBooks",
                addresses={"account_id": self.account, "business_id": self.fb.config["businesses"][0]["id"]},
                access_token=fb_tokens.access.value,
                refresh_token=fb_tokens.refresh.value,
                access_expires_at=later,
                webhook_secret=json.dumps({"1": VERIFIER}),
                settings={"webhooks": {"callbacks": {"1": {"event": "invoice.create", "verified": True}}}},
            )
            target = Connection.objects.create(
                tenant=tenant,
                provider="zendesk",
                label="Zendesk",
                addresses={"subdomain": "acme"},
                access_token=zd_tokens.access.value,
                refresh_token=zd_tokens.refresh.value,
                access_expires_at=later,
            )
            self.integration = Integration.objects.create(
                tenant=tenant, kind=SLUG, source=source, target=target, enabled=True
            )
        self.tenant, self.source = tenant, source
        with scope(tenant=tenant):
            load_mirror(target, "organization")
            ctx = Context(None, self.integration)
            for client_id, org_id in pairs:  # as the first event of each client leaves them: linked
                ctx.save_link("client", client_id, "organization", org_id, "exact")
            WRITER.ensure_custom_fields(ctx)

    def invoices(self, count: int) -> list[int]:
        from django.utils import timezone

        made = []
        for n in range(count):
            client_id = self.client_ids[n % len(self.client_ids)]
            invoice = self.fb.create(
                self.account,
                "invoice",
                {
                    "customerid": client_id,
                    "status": 2,
                    "create_date": timezone.now().date().isoformat(),
                    "due_offset_days": 30,
                    "lines": [{"name": "Support plan", "qty": 1, "unit_cost": {"amount": f"{100 + n}.00"}}],
                },
            )
            made.append(invoice["id"])
        return made

    # Running --------------------------------------------------------------------------------------------

    def start_web(self, workers: int = 2) -> None:
        start_gunicorn(self.processes, self.env, self.app_port, workers)

    def start_workers(self, count: int):
        env = {**self.env, "Q_WORKERS": str(count)}
        # As deployed: the workers and one sweeper that wakes jobs whose wait has ended (manage.py run_sweeper).
        if getattr(self, "sweeper", None) is None or self.sweeper.poll() is not None:
            self.sweeper = self.processes.start([sys.executable, "manage.py", "run_sweeper"], self.env)
        return self.processes.start([sys.executable, "manage.py", "qcluster"], env)

    def deliveries(self, invoice_ids):
        return [freshbooks_delivery(VERIFIER, i, self.account, name="invoice.create") for i in invoice_ids]

    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}/webhooks/freshbooks/{self.source.uuid}/"

    def wait_done(self, invoice_ids, timeout: float) -> dict:
        """Until every invoice's job has ended (or the timeout): {invoice id: (status, finished_at)}."""
        from django_scopes import scopes_disabled

        from syncs.models import SyncJob

        wanted = {str(i) for i in invoice_ids}
        deadline = time.monotonic() + timeout
        while True:
            with scopes_disabled():
                rows = SyncJob.objects.filter(
                    integration=self.integration, source_type="invoice", source_id__in=wanted, status__in=TERMINAL
                ).values_list("source_id", "status", "finished_at")
                done = {sid: (status, at) for sid, status, at in rows}
            if len(done) >= len(wanted) or time.monotonic() > deadline:
                return done
            time.sleep(0.1)

    def calls(self) -> dict:
        """Requests the app made to each emulator, by kind, since the journals were last cleared."""
        counts = {"token": 0, "fetch": 0, "lookup": 0, "write": 0, "429": 0, "zendesk_accepted": 0}
        for entry in self.fb.journal.entries(kind="request"):
            counts["token" if "/oauth" in entry.url else "fetch"] += 1
        for entry in self.zd.journal.entries(kind="request"):
            if "/oauth" in entry.url:
                counts["token"] += 1
                continue
            if entry.status == 429:
                counts["429"] += 1
                continue
            counts["zendesk_accepted"] += 1
            counts["lookup" if entry.method == "GET" else "write"] += 1
        return counts

    def clear_journals(self) -> None:
        for emulator in self.emulators.values():
            emulator.journal.clear()

    def open_tickets(self) -> int:
        return 1  # seeded: one open ticket per organization

    def stop(self) -> None:
        self.processes.stop()
        if getattr(self, "server", None):
            self.server.stop()
        if self.pg_url:
            from django.db import connections

            connections.close_all()
            drop_pg_database(self.pg_url)


def latency_figures(sent: dict, done: dict) -> dict:
    latencies = [
        (at.timestamp() - sent[sid]) * 1000
        for sid, (status, at) in done.items()
        if status == "succeeded" and sid in sent
    ]
    return {
        "p50_ms": round(percentile(latencies, 0.5) or 0, 1),
        "p95_ms": round(percentile(latencies, 0.95) or 0, 1),
        "p99_ms": round(percentile(latencies, 0.99) or 0, 1),
    }


def run_workers(bench: Bench, workers: int, events: int, latency_events: int, latency_rate: float, timeout: float):
    cluster = bench.start_workers(workers)
    time.sleep(2)  # the cluster forks its workers
    try:
        # Latency: a gentle fixed rate, each event timed from its delivery to its job's end.
        ids = bench.invoices(latency_events)
        bench.clear_journals()
        sent = {}
        items = bench.deliveries(ids)
        t_send = time.time()
        open_loop(bench.webhook_url(), items, latency_rate)
        for n, invoice_id in enumerate(ids):
            sent[str(invoice_id)] = t_send + 0.05 + n / latency_rate
        done = bench.wait_done(ids, timeout)
        latency = latency_figures(sent, done)
        latency_calls = bench.calls()

        # Throughput: every event at once.
        ids2 = bench.invoices(events)
        bench.clear_journals()
        items = bench.deliveries(ids2)
        started = time.time()
        open_loop(bench.webhook_url(), items, rate=1000.0, max_threads=8)
        done2 = bench.wait_done(ids2, timeout)
        ends = [at.timestamp() for status, at in done2.values() if at]
        elapsed = (max(ends) if ends else time.time()) - started
        calls = bench.calls()
        statuses = {}
        for status, _ in [*done.values(), *done2.values()]:
            statuses[status] = statuses.get(status, 0) + 1
        synced = sum(1 for status, _ in done2.values() if status == "succeeded")
        per_record = {k: round(calls[k] / max(synced, 1), 2) for k in ("token", "fetch", "lookup", "write")}
        minimum = 1 + 1 + bench.open_tickets()
        total = sum(per_record.values())
        return {
            "workers": workers,
            "events": events,
            "synced": synced,
            "seconds": round(elapsed, 2),
            "records_per_second": round(synced / elapsed, 1) if elapsed > 0 else None,
            "latency_events": latency_events,
            "latency_rate": latency_rate,
            **latency,
            "calls_per_record": per_record,
            "calls_per_record_total": round(total, 2),
            "minimum_calls_per_record": minimum,
            "calls_over_minimum": round(total / minimum - 1, 3),
            "latency_phase_calls": latency_calls,
            "job_statuses": statuses,
            "not_finished": len(ids) + len(ids2) - len(done) - len(done2),
            "worker_cluster_rss_mb": round(rss_mb(cluster.pid), 1),
        }
    finally:
        bench.processes.stop(cluster)


def run_rate_limited(bench: Bench, events: int, workers: int, timeout: float) -> dict:
    cluster = bench.start_workers(workers)
    time.sleep(2)
    try:
        ids = bench.invoices(events)
        bench.clear_journals()
        items = bench.deliveries(ids)
        started = time.time()
        open_loop(bench.webhook_url(), items, rate=1000.0, max_threads=8)
        done = bench.wait_done(ids, timeout)
        ends = [at.timestamp() for status, at in done.values() if at]
        drain = (max(ends) if ends else time.time()) - started
        calls = bench.calls()
        zendesk_calls = calls["zendesk_accepted"] + calls["429"]
        per_minute = calls["zendesk_accepted"] / (drain / 60) if drain > 0 else 0
        writes_per_minute = calls["write"] / (drain / 60) if drain > 0 else 0
        return {
            "limit_per_minute": bench.rate_limit,
            "events": events,
            "workers": workers,
            "finished": len(done),
            "drain_seconds": round(drain, 1),
            "zendesk_calls": zendesk_calls,
            "accepted_per_minute": round(per_minute, 1),
            "writes_per_minute": round(writes_per_minute, 1),
            "used_fraction": round(per_minute / bench.rate_limit, 3),
            "responses_429": calls["429"],
            "fraction_429": round(calls["429"] / zendesk_calls, 4) if zendesk_calls else 0.0,
            "minimum_drain_seconds": round(calls["zendesk_accepted"] / bench.rate_limit * 60, 1),
        }
    finally:
        bench.processes.stop(cluster)


def measure(
    database="postgres",
    workers=(1, 2, 4),
    events=200,
    latency_events=40,
    latency_rate=4.0,
    rate_limit=None,
    timeout=300.0,
    clients=None,
) -> dict:
    clients = clients or max(10, min(events, 200))
    bench = Bench(database, clients, rate_limit)
    try:
        bench.setup()
        bench.start_web()
        if rate_limit:
            return {"database": database, **run_rate_limited(bench, events, workers[0], timeout)}
        runs = [run_workers(bench, w, events, latency_events, latency_rate, timeout) for w in workers]
        return {"database": database, "clients": clients, "runs": runs}
    finally:
        bench.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--latency-events", type=int, default=40)
    parser.add_argument("--latency-rate", type=float, default=4.0)
    parser.add_argument("--rate-limit", type=int, help="Zendesk requests per minute (one run, first --workers)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the jobs of one phase")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    result = measure(
        args.database,
        tuple(args.workers),
        args.events,
        args.latency_events,
        args.latency_rate,
        args.rate_limit,
        args.timeout,
    )
    print(json.dumps(result, indent=2, default=str))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2, default=str)


if __name__ == "__main__":
    main()
