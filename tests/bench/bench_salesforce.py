"""FreshBooks -> Salesforce: API calls per event against the flow's minimum, and a backfill through Collections.

    .venv/bin/python -m tests.bench.bench_salesforce --invoices 1000
    .venv/bin/python -m tests.bench.bench_salesforce --invoices 200      # tiny, as CI runs it

The emulators answer in process (no network); the database is a scratch SQLite file unless DATABASE_URL names
another. Reported, per kind of event in steady state (the Account written before, describe and the won stage
cached): FreshBooks reads and Salesforce calls, beside the minimum (client 2, invoice 2, payment 3); then a
backfill of N invoices of a few clients: Salesforce write calls (target: about N / 200), every Salesforce call,
and records per second. Prints, never asserts.
"""

import argparse
import json
import os
import tempfile
import time

# The flow's minimum per event: one read of the record (two for a payment: it and its invoice) and one write.
# FreshBooks' own invoice update after a payment needs its read only: the Opportunity already holds it.
MINIMUM = {"client": 2, "invoice": 2, "payment": 3, "invoice after payment": 1}


def measure(invoices: int) -> dict:
    scratch = tempfile.mkdtemp(prefix="mlc-salesforce-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
    os.environ.update(DJANGO_SETTINGS_MODULE="tests.settings", LOG_LEVEL="ERROR")
    import django

    django.setup()
    import responses
    from django.core.management import call_command
    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    call_command("migrate", verbosity=0)
    call_command("createcachetable")
    from connections import registry
    from connections.models import Connection, Integration, Tenant
    from connections.sandbox.base import FakeClock
    from connections.sandbox.oauth import Grant
    from connections.sandbox.registry import build_emulators
    from connections.sandbox.testing import Sandbox
    from syncs import engine, polling
    from syncs.models import InboundEvent, SyncJob

    clock = FakeClock(time.time())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        box = Sandbox(build_emulators(clock=clock, seed=1), mock, clock)
        box.install()
        freshbooks, salesforce = box["freshbooks"], box["salesforce"]
        account = freshbooks.config["businesses"][0]["account_id"]
        fb = freshbooks.oauth.issue_tokens(
            Grant("sandbox-freshbooks-client", " ".join(registry.provider("freshbooks").scopes), {"identity_id": 1})
        )
        with scopes_disabled():
            tenant = Tenant.objects.create(name="Bench", slug=f"bench-{time.time_ns()}")
            source = Connection.objects.create(
                tenant=tenant,
                provider="freshbooks",
                label="fb",
                addresses={"account_id": account},
                access_token=fb.access.value,
                refresh_token=fb.refresh.value,
                access_expires_at=timezone.now() + timezone.timedelta(days=30),
            )
            target = Connection.objects.create(
                tenant=tenant,
                provider="salesforce",
                label="sf",
                addresses={"my_domain": "acme", "edition": "production"},
                settings={"client_id": "sandbox-salesforce-client", "auth": "client_credentials"},
                client_secret="sandbox-salesforce-secret",
            )
            integration = Integration.objects.create(
                tenant=tenant, kind="freshbooks_salesforce", source=source, target=target, enabled=True
            )

        def requests_of(emulator):
            return [e for e in emulator.journal.entries(kind="request")]

        def kinds(entries) -> dict:
            found = {"token": 0, "fetch": 0, "lookup": 0, "write": 0}
            for e in entries:
                if "/oauth" in e.url:
                    found["token"] += 1
                elif e.method in ("PATCH", "POST", "DELETE"):
                    found["write"] += 1
                else:
                    found["lookup"] += 1
            return found

        def event(kind, object_id, name):
            with scopes_disabled():
                stored = InboundEvent.objects.create(
                    tenant=tenant,
                    connection=source,
                    provider="freshbooks",
                    event_name=name,
                    object_type=kind,
                    object_id=str(object_id),
                    dedupe_key=f"{name}:{object_id}:{time.time_ns()}",
                )
            with scope(tenant=tenant):
                for job in engine.jobs_for_event(stored, wake=False):
                    engine.run(job.pk)

        def calls_for(kind, object_id, name) -> dict:
            fb_before, sf_before = len(requests_of(freshbooks)), len(requests_of(salesforce))
            event(kind, object_id, name)
            sf = kinds(requests_of(salesforce)[sf_before:])
            return {"fetch": len(requests_of(freshbooks)) - fb_before, **{f"salesforce_{k}": v for k, v in sf.items()}}

        client = freshbooks.create(account, "client", {"organization": "Acme Corp", "email": "ap@acme.example"})
        invoice = freshbooks.create(
            account,
            "invoice",
            {
                "customerid": client["id"],
                "status": 2,
                "lines": [{"name": "Plan", "qty": 1, "unit_cost": {"amount": "500"}}],
            },
        )
        event("client", client["id"], "client.create")  # first sync: the Account, describe, the mirror read
        event("invoice", invoice["id"], "invoice.create")
        steady = {}
        freshbooks.update(account, "client", client["id"], {"p_city": "Springfield"})
        steady["client"] = calls_for("client", client["id"], "client.update")
        freshbooks.update(account, "invoice", invoice["id"], {"due_offset_days": 45})
        steady["invoice"] = calls_for("invoice", invoice["id"], "invoice.update")
        payment = freshbooks.create(account, "payment", {"invoiceid": invoice["id"], "amount": "100.00"})
        steady["payment"] = calls_for("payment", payment["id"], "payment.create")
        steady["invoice after payment"] = calls_for("invoice", invoice["id"], "invoice.update")

        clients = [freshbooks.create(account, "client", {"organization": f"Backfill {n}"}) for n in range(5)]
        for n in range(invoices):
            freshbooks.create(
                account,
                "invoice",
                {
                    "customerid": clients[n % len(clients)]["id"],
                    "status": 2,
                    "lines": [{"name": "Plan", "qty": 1, "unit_cost": {"amount": str(10 + n)}}],
                },
            )
        sf_before, fb_before = len(requests_of(salesforce)), len(requests_of(freshbooks))
        started = time.perf_counter()
        with scope(tenant=tenant):
            polling.run(integration, backfill=True)  # wakes a batch runner per 200 records (inline here)
            engine.run_batch(integration.pk, limit=10 * (invoices + 100))
        seconds = time.perf_counter() - started
        backfill_calls = kinds(requests_of(salesforce)[sf_before:])
        with scopes_disabled():
            backfilled = SyncJob.objects.filter(integration=integration, trigger="backfill")
            ran, succeeded = backfilled.count(), backfilled.filter(status="succeeded").count()
    result = {
        "steady": steady,
        "minimum": MINIMUM,
        "backfill": {
            "invoices": invoices,
            "clients": len(clients) + 1,
            "jobs_run": ran,
            "jobs_succeeded": succeeded,
            "seconds": round(seconds, 2),
            "records_per_second": round(ran / seconds, 1) if seconds else None,
            "salesforce_writes": backfill_calls["write"],
            "salesforce_calls": sum(backfill_calls.values()),
            "freshbooks_reads": len(requests_of(freshbooks)) - fb_before,
            "target_writes": round((invoices + len(clients) + 1) / 200, 1),
        },
    }
    for kind, calls in steady.items():
        total = calls["fetch"] + sum(v for k, v in calls.items() if k.startswith("salesforce_"))
        floor = MINIMUM[kind]
        print(
            f"{kind}: {calls['fetch']} FreshBooks reads + {total - calls['fetch']} Salesforce calls = {total}; "
            f"minimum {floor}"
        )
    b = result["backfill"]
    print(
        f"backfill of {invoices} invoices of {b['clients']} clients: {b['jobs_succeeded']} of {b['jobs_run']} jobs in "
        f"{b['seconds']} s ({b['records_per_second']}/s); Salesforce {b['salesforce_writes']} writes "
        f"(target about {b['target_writes']}), {b['salesforce_calls']} calls in all; "
        f"FreshBooks {b['freshbooks_reads']} reads"
    )
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    result = measure(args.invoices)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
