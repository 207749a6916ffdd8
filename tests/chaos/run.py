"""`make chaos`: the demo company's flows under faults, then a check that every target holds what the source says.

    CHAOS_SCALE=tiny make chaos      # about a minute and a half: what CI runs
    CHAOS_SCALE=small make chaos     # the default: a few minutes
    CHAOS_SEED=7 CHAOS_WRITE_DOCS=1 make chaos   # another draw of faults; write docs/reliability.md

As on two machines: a private PostgreSQL cluster and Redis (started here on free loopback ports, so restarting
them disturbs nothing else), gunicorn, two `qcluster` and two `run_sweeper` processes, and the provider sandbox.
FreshBooks is connected to Zendesk, Salesforce and Zuora (every flow there is). While a bookkeeper makes
changes in FreshBooks (whose webhooks reach the app), the faults of `tests/chaos/faults.py` are injected on a
schedule drawn from the seed. Then the faults stop, the system drains (waiting retries brought forward: the
check is about what is written, not about sitting out a 10-minute backoff), and `verify.py` compares every
target with the source. Failed or parked jobs must be on the failures page; they are then replayed from it, as
an operator would, and the targets compared again. Exit status 0 when nothing was written twice, nothing was
lost and every failure was on the page.
"""

import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

from tests.bench.common import ROOT, free_port
from tests.chaos.services import AppProcesses, PrivatePostgres, PrivateRedis, Sandbox

SCALES = {
    "tiny": dict(clients=4, invoices=14, chaos_seconds=45, outage=10, kill_every=7, lease=12, drain=120),
    "small": dict(clients=12, invoices=60, chaos_seconds=150, outage=30, kill_every=12, lease=20, drain=300),
}
READ_TIMEOUT = 2.0


def db_retry(fn, seconds: float = 60):
    """Runs `fn` until the database answers (the run restarts it under our feet too)."""
    from django.db import Error, connections

    deadline = time.monotonic() + seconds
    while True:
        try:
            return fn()
        except Error:
            connections.close_all()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


class ChaosRun:
    def __init__(self, scale: str, seed: int):
        self.scale_name, self.scale, self.seed = scale, SCALES[scale], seed
        self.rng = random.Random(seed)
        self.read_timeout = READ_TIMEOUT
        self.scratch = Path(tempfile.mkdtemp(prefix="mlc-chaos-"))
        os.chmod(self.scratch, 0o755)  # noqa: S103 - the private cluster runs as postgres and must reach its folder
        self.started = time.monotonic()
        self.figures: dict = {"scale": scale, "seed": seed}
        self.apps = self.sandbox = None
        self.postgres, self.redis = PrivatePostgres(self.scratch), PrivateRedis(self.scratch)
        self.down: set[str] = set()

    # Setting up ---------------------------------------------------------------------------------------

    def environment(self) -> dict:
        self.web_port, sandbox_port = free_port(), free_port()
        env = {
            "DJANGO_SETTINGS_MODULE": "tests.chaos.settings",
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis.url,
            "Q_BROKER": "redis",
            "Q_WORKERS": "2",
            "SANDBOX_URL": f"http://127.0.0.1:{sandbox_port}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.web_port}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SYNC_LEASE_SECONDS": str(self.scale["lease"]),
            "PROVIDER_READ_TIMEOUT": str(READ_TIMEOUT),
            "PROVIDER_CONNECT_TIMEOUT": "2",
            "WEBHOOK_REJECTIONS_PER_MINUTE": "100000",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        self.sandbox_port = sandbox_port
        return {**os.environ}

    def setup(self) -> None:
        self.postgres.start()
        self.redis.start()
        env = self.environment()
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("createcachetable")
        from tests.chaos.company import seed

        self.sandbox = Sandbox(self.sandbox_port)
        self.sandbox.start()
        self.company = seed(self.sandbox, env["PUBLIC_BASE_URL"], self.scale["clients"], self.rng)
        self.apps = AppProcesses(self.scratch, env, self.web_port)
        self.apps.start_all()
        self.figures["setup_seconds"] = round(time.monotonic() - self.started, 1)

    # The chaos phase ----------------------------------------------------------------------------------

    def chaos(self) -> None:
        from tests.chaos.company import Bookkeeper, plan_changes
        from tests.chaos.faults import Injector, schedule

        duration = self.scale["chaos_seconds"]
        steps = plan_changes(self.company["client_ids"], self.scale["invoices"], self.rng)
        faults = schedule(duration, self.scale["outage"], self.rng, self.scale["kill_every"])
        self.injector = injector = Injector(self)
        self.bookkeeper = Bookkeeper(self.sandbox.url, self.company["account_id"])
        begin = time.monotonic()
        self.started = begin
        errors = []

        def keep_books():
            try:
                for n, step in enumerate(steps):
                    due = begin + 0.9 * duration * n / len(steps)
                    time.sleep(max(0.0, due - time.monotonic()))
                    self.bookkeeper.make(step, deadline=begin + duration + 120)
            except Exception as exc:
                errors.append(exc)
                traceback.print_exc()

        books = threading.Thread(target=keep_books, name="bookkeeper", daemon=True)
        books.start()
        pending = list(faults)
        while time.monotonic() - begin < duration or books.is_alive():
            elapsed = time.monotonic() - begin
            while pending and pending[0].at <= elapsed:
                fault = pending.pop(0)
                if fault.kind == "sigkill" and fault.args["process"] in self.down:
                    continue
                if fault.kind == "sigkill":
                    self.down.add(fault.args["process"])
                injector.apply(fault)
            injector.lift_due()
            self.down = {name for name in self.down if any(name in what for _, what, _ in injector.lifts)}
            self.apps_check()
            time.sleep(0.1)
            if time.monotonic() - begin > duration + 180:
                raise RuntimeError("The bookkeeper did not finish within 3 minutes of the chaos phase.")
        injector.lift_due(force=True)
        self.down.clear()
        if errors:
            raise errors[0]
        self.figures["chaos_seconds"] = round(time.monotonic() - begin, 1)
        self.figures["faults"] = dict(sorted(injector.counts.items()))
        self.figures["changes"] = dict(self.bookkeeper.made)

    def apps_check(self) -> None:
        for name, child in list(self.apps.children.items()):
            if name not in self.down and child.poll() is not None:
                self.apps.exits.append((name, child.returncode))
                self.injector.note(f"{name} ended by itself (exit {child.returncode}); started again")
                self.apps.start(name)

    def reconnect_zendesk(self) -> None:
        """What the owner does on the connection page after Zendesk's tokens were revoked: connect again."""
        from django.utils import timezone
        from django_scopes import scope

        import audit
        from connections.models import Connection
        from tests.chaos.company import zendesk_tokens

        try:
            self.figures["while_disconnected"] = db_retry(self.failures_on_page)
        except Exception as exc:  # the page failing is a finding, and the run goes on to reconnect
            traceback.print_exc()
            self.figures["while_disconnected"] = {"error": repr(exc)}
        tokens = zendesk_tokens(self.sandbox["zendesk"])

        def save():
            with scope(tenant=self.company["tenant"]):
                connection = Connection.objects.get(pk=self.company["zendesk"].pk)
                self.figures["while_disconnected"]["zendesk_status"] = connection.status
                connection.access_token, connection.refresh_token = tokens.access.value, tokens.refresh.value
                connection.access_expires_at = timezone.now() + timezone.timedelta(seconds=tokens.expires_in or 1800)
                connection.tokens_refreshed_at = timezone.now()
                connection.status, connection.last_error = Connection.Status.ACTIVE, ""
                connection.save()
                audit.record(
                    "connection.reconnected",
                    tenant=connection.tenant,
                    connection=connection,
                    message="The owner connected Zendesk again.",
                )

        db_retry(save)

    # Draining and checking ------------------------------------------------------------------------------

    def drain(self, timeout: float) -> dict:
        """Until no job is due or running, no event waits and no webhook is undelivered (three checks in a row)."""
        from django.db.models import Count
        from django.utils import timezone
        from django_scopes import scopes_disabled

        from syncs.models import InboundEvent, SyncJob

        fb = self.sandbox["freshbooks"]
        begin, quiet = time.monotonic(), 0
        said = begin

        def look():
            with scopes_disabled():
                now = timezone.now()
                SyncJob.objects.filter(status=SyncJob.Status.PENDING, next_attempt_at__gt=now).update(
                    next_attempt_at=now
                )
                busy = dict(
                    SyncJob.objects.filter(status__in=[SyncJob.Status.PENDING, SyncJob.Status.RUNNING])
                    .values_list("status")
                    .annotate(n=Count("id"))
                    .order_by()
                )
                waiting = InboundEvent.objects.filter(status=InboundEvent.Status.RECEIVED).count()
            return busy, waiting

        while time.monotonic() - begin < timeout:
            self.apps_check()
            busy, waiting = db_retry(look)
            undelivered = len(fb.outbox.pending())
            quiet = quiet + 1 if not (busy or waiting or undelivered) else 0
            if time.monotonic() >= said + 5:
                said = time.monotonic()
                print(
                    f"  draining: jobs {busy or 'none'}, events waiting {waiting}, webhooks {undelivered}", flush=True
                )
                for d in fb.outbox.pending()[:3]:
                    answer = d.last_status or d.last_error[:60]
                    print(f"    webhook {d.event}: {d.attempts} attempts, last answer {answer}")
            if quiet >= 3:
                return {"drained": True, "seconds": round(time.monotonic() - begin, 1)}
            time.sleep(1)
        return {"drained": False, "seconds": round(timeout, 1), "busy": busy, "waiting": waiting}

    def owner_client(self):
        from django.contrib.auth import get_user_model
        from django.test import Client

        from tests.chaos.company import OWNER_EMAIL

        client = Client()
        client.force_login(get_user_model().objects.get(email=OWNER_EMAIL))
        return client

    def failures_on_page(self) -> dict:
        """The open failures (the function the page uses) and how many of them the page, read as the owner, shows."""
        from django_scopes import scope

        from syncs.operating.jobs import open_failures, tenant_jobs

        page = self.owner_client().get("/failures/")
        with scope(tenant=self.company["tenant"]):
            failures = list(open_failures(tenant_jobs(self.company["tenant"])).values_list("uuid", "status"))
        html = page.content.decode()
        shown = sum(1 for uuid, _ in failures if f'id="job-{uuid}"' in html)
        return {
            "page_status": page.status_code,
            "open": len(failures),
            "parked": sum(1 for _, status in failures if status == "parked"),
            "shown": shown,
        }

    def story(self, problems) -> dict:
        """For each record still wrong: its jobs on every integration and the steps of each (for the report)."""
        from django_scopes import scopes_disabled

        from audit.models import AuditEvent
        from syncs.models import SyncJob

        told = {}
        with scopes_disabled():
            for _, record, _ in problems:
                kind, _, ident = record.partition(":")
                lines = []
                for job in SyncJob.objects.filter(source_type=kind, source_id=ident).order_by("pk"):
                    steps = AuditEvent.objects.filter(job=job).order_by("created_at").values_list("kind", "message")
                    lines.append(
                        f"{job.integration.kind} {job.trigger} {job.status} x{job.attempts} {job.last_error_type}: "
                        + " | ".join(f"{k}: {m[:70]}" for k, m in steps if not k.startswith("api."))
                    )
                told[record] = lines
        return told

    def replay_failures(self) -> int:
        answer = self.owner_client().post("/failures/replay/", {})
        return answer.status_code

    def statistics(self) -> dict:
        from django.db.models import Count
        from django_scopes import scopes_disabled

        from syncs.models import InboundEvent, SyncJob

        with scopes_disabled():
            jobs = dict(SyncJob.objects.values_list("status").annotate(n=Count("id")).order_by())
            events = InboundEvent.objects.count()
            attempts = sum(SyncJob.objects.values_list("attempts", flat=True))
            failed = Counter(
                f"{kind}: {error} {message[:100]}"
                for kind, error, message in SyncJob.objects.filter(
                    status__in=[SyncJob.Status.FAILED, SyncJob.Status.PARKED]
                ).values_list("integration__kind", "last_error_type", "last_error_message")
            )
        calls, refused = {}, {}
        for slug, emulator in self.sandbox.emulators.items():
            entries = list(emulator.journal.entries(kind="request"))
            calls[slug] = len(entries)
            refused[slug] = sum(1 for e in entries if e.note.startswith("fault:"))
        late = [
            e
            for e in self.sandbox["zendesk"].journal.entries(kind="request")
            if e.method == "PUT" and "/tickets/" in e.url and e.status == 200 and e.duration_ms > READ_TIMEOUT * 1000
        ]
        outbox = self.sandbox["freshbooks"].outbox.describe()["counts"]
        return {
            "events_stored": events,
            "jobs": jobs,
            "job_attempts": attempts,
            "api_calls": calls,
            "api_calls_faulted": refused,
            "webhook_deliveries": outbox,
            "failed_jobs": dict(failed.most_common(10)),
            # Writes the provider made whose answer came after the app gave up (or never came).
            "answers_lost": {"zendesk notes": len(late), "zuora writes": self.injector.zuora_answers_lost},
        }

    def check(self) -> bool:
        from tests.chaos.verify import verify

        self.figures["drain"] = self.drain(self.scale["drain"])
        first = db_retry(lambda: verify(self))
        self.figures["first_check"] = first.figures()
        self.figures["failures_page"] = db_retry(self.failures_on_page)
        self.figures["first_problems"] = first.problems[:40]
        missing_records = {record for kind, record, _ in first.problems if not kind.startswith("duplicate")}
        final = first
        if self.figures["failures_page"]["open"]:
            self.figures["replay_status"] = db_retry(self.replay_failures)
            self.figures["drain_after_replay"] = self.drain(self.scale["drain"])
            final = db_retry(lambda: verify(self))
        self.figures["final_check"] = final.figures()
        self.figures["final_problems"] = final.problems[:40]
        self.figures["final_problem_jobs"] = db_retry(lambda: self.story(final.problems[:10]))
        self.figures.update(db_retry(self.statistics))
        self.figures["process_exits"] = self.apps.exits
        page = self.figures["failures_page"]
        lost = final.figures()["missing"]
        duplicates = first.figures()["duplicates"] + final.figures()["duplicates"]
        invisible = len(missing_records) and not page["open"]
        self.figures.update(lost=lost, duplicates=duplicates, failures_not_on_page=page["open"] - page["shown"])
        return lost == 0 and duplicates == 0 and page["open"] == page["shown"] and not invisible

    # Running ----------------------------------------------------------------------------------------------

    def main(self) -> int:
        t0 = time.monotonic()
        ok = False
        try:
            self.setup()
            print(
                f"chaos: set up in {self.figures['setup_seconds']} s; {self.scale_name}, seed {self.seed}", flush=True
            )
            self.chaos()
            for line in self.injector.log:
                print(f"  {line}")
            ok = self.check()
        except Exception:
            traceback.print_exc()
            self.figures["error"] = traceback.format_exc(limit=3)
        finally:
            self.figures["run_seconds"] = round(time.monotonic() - t0, 1)
            self.stop(ok)
        self.figures["passed"] = ok
        from tests.chaos.report import print_figures, write_docs

        print_figures(self.figures)
        if os.environ.get("CHAOS_WRITE_DOCS") == "1":
            write_docs(self.figures, ROOT / "docs" / "reliability.md")
        if os.environ.get("CHAOS_JSON"):
            Path(os.environ["CHAOS_JSON"]).write_text(json.dumps(self.figures, indent=2, default=str))
        return 0 if ok else 1

    def stop(self, ok: bool) -> None:
        if self.apps is not None:
            if not ok:
                for name in self.apps.commands:
                    tail = self.apps.tail(name, 15)
                    if tail:
                        print(f"--- {name} (last lines) ---\n{tail}", file=sys.stderr)
            self.apps.stop_all()
        if self.sandbox is not None:
            self.sandbox.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        self.redis.stop()
        self.postgres.stop()
        if os.environ.get("CHAOS_KEEP") == "1":
            print(f"chaos: logs kept in {self.scratch}")
        else:
            shutil.rmtree(self.scratch, ignore_errors=True)


def main() -> int:
    scale = os.environ.get("CHAOS_SCALE", "small")
    if scale not in SCALES:
        print(f"CHAOS_SCALE is one of {', '.join(SCALES)}", file=sys.stderr)
        return 2
    return ChaosRun(scale, int(os.environ.get("CHAOS_SEED", "1"))).main()


if __name__ == "__main__":
    sys.exit(main())
