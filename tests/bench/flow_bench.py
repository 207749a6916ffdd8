"""What the FreshBooks -> target flow benchmarks share: a scratch database, the emulators in process, a tenant
with FreshBooks and the target connected and the integration on, and API calls counted per event."""

import os
import tempfile
import time


class FlowBench:
    """One integration of `kind` from FreshBooks to a connection made of `target` (Connection fields)."""

    def __init__(self, kind: str, target: dict):
        scratch = tempfile.mkdtemp(prefix=f"mlc-{kind}-")
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
        os.environ.update(DJANGO_SETTINGS_MODULE="tests.settings", LOG_LEVEL="ERROR")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("createcachetable")
        self.kind, self.target_fields = kind, target

    def __enter__(self):
        import responses
        from django.utils import timezone
        from django_scopes import scopes_disabled

        from connections import registry
        from connections.models import Connection, Integration, Tenant
        from connections.sandbox.base import FakeClock
        from connections.sandbox.oauth import Grant
        from connections.sandbox.registry import build_emulators
        from connections.sandbox.testing import Sandbox

        self.clock = FakeClock(time.time())
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.mock.__enter__()
        self.box = Sandbox(build_emulators(clock=self.clock, seed=1), self.mock, self.clock)
        self.box.install()
        self.freshbooks = self.box["freshbooks"]
        self.account = self.freshbooks.config["businesses"][0]["account_id"]
        fb = self.freshbooks.oauth.issue_tokens(
            Grant("sandbox-freshbooks-client", " ".join(registry.provider("freshbooks").scopes), {"identity_id": 1})
        )
        with scopes_disabled():
            self.tenant = Tenant.objects.create(name="Bench", slug=f"bench-{time.time_ns()}")
            self.source = Connection.objects.create(
                tenant=self.tenant,
                provider="freshbooks",
                label="fb",
                addresses={"account_id": self.account},
                access_token=fb.access.value,
                refresh_token=fb.refresh.value,
                access_expires_at=timezone.now() + timezone.timedelta(days=30),
            )
            self.target = Connection.objects.create(tenant=self.tenant, label="target", **self.target_fields)
            self.integration = Integration.objects.create(
                tenant=self.tenant, kind=self.kind, source=self.source, target=self.target, enabled=True
            )
        return self

    def __exit__(self, *exc):
        self.mock.__exit__(*exc)

    @staticmethod
    def requests_of(emulator) -> list:
        return list(emulator.journal.entries(kind="request"))

    @staticmethod
    def kinds(entries) -> dict:
        """Calls by kind; token requests (Salesforce's and Zuora's are both under /oauth) are not API calls."""
        found = {"token": 0, "fetch": 0, "lookup": 0, "write": 0}
        for e in entries:
            if "/oauth" in e.url:
                found["token"] += 1
            elif e.method in ("PATCH", "POST", "PUT", "DELETE"):
                found["write"] += 1
            else:
                found["lookup"] += 1
        return found

    def event(self, kind, object_id, name) -> None:
        """A FreshBooks webhook's event stored, and its jobs run inline."""
        from django_scopes import scope, scopes_disabled

        from syncs import engine
        from syncs.models import InboundEvent

        with scopes_disabled():
            stored = InboundEvent.objects.create(
                tenant=self.tenant,
                connection=self.source,
                provider="freshbooks",
                event_name=name,
                object_type=kind,
                object_id=str(object_id),
                dedupe_key=f"{name}:{object_id}:{time.time_ns()}",
            )
        with scope(tenant=self.tenant):
            for job in engine.jobs_for_event(stored, wake=False):
                engine.run(job.pk)

    def calls_for(self, kind, object_id, name, target_slug: str) -> dict:
        """FreshBooks reads and the target's calls by kind, for one event."""
        emulator = self.box[target_slug]
        fb_before, target_before = len(self.requests_of(self.freshbooks)), len(self.requests_of(emulator))
        self.event(kind, object_id, name)
        calls = self.kinds(self.requests_of(emulator)[target_before:])
        return {
            "fetch": len(self.requests_of(self.freshbooks)) - fb_before,
            **{f"{target_slug}_{k}": v for k, v in calls.items()},
        }

    def invoices(self, clients: list, count: int) -> list[dict]:
        """`count` sent invoices spread over `clients`, as the backfills read them."""
        return [
            self.freshbooks.create(
                self.account,
                "invoice",
                {
                    "customerid": clients[n % len(clients)]["id"],
                    "status": 2,
                    "lines": [{"name": "Plan", "qty": 1, "unit_cost": {"amount": str(10 + n)}}],
                },
            )
            for n in range(count)
        ]


def report_steady(steady: dict, minimum: dict, target_slug: str, target_name: str) -> None:
    for kind, calls in steady.items():
        total = calls["fetch"] + sum(v for k, v in calls.items() if k.startswith(f"{target_slug}_"))
        print(
            f"{kind}: {calls['fetch']} FreshBooks reads + {total - calls['fetch']} {target_name} calls = {total}; "
            f"minimum {minimum[kind]}"
        )
