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
import time

# The flow's minimum per event: one read of the record (two for a payment: it and its invoice) and one write.
# FreshBooks' own invoice update after a payment needs its read only: the Opportunity already holds it.
MINIMUM = {"client": 2, "invoice": 2, "payment": 3, "invoice after payment": 1}


SALESFORCE = {
    "provider": "salesforce",
    "addresses": {"my_domain": "acme", "edition": "production"},
    "settings": {"client_id": "sandbox-salesforce-client", "auth": "client_credentials"},
    "client_secret": "sandbox-salesforce-secret",
}


def measure(invoices: int) -> dict:
    from tests.bench.flow_bench import FlowBench, report_steady

    bench = FlowBench("freshbooks_salesforce", SALESFORCE)
    from django_scopes import scope, scopes_disabled

    from syncs import engine, polling
    from syncs.models import SyncJob

    with bench:
        freshbooks, salesforce, account = bench.freshbooks, bench.box["salesforce"], bench.account
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
        bench.event("client", client["id"], "client.create")  # first sync: the Account, describe, the mirror read
        bench.event("invoice", invoice["id"], "invoice.create")
        steady = {}
        freshbooks.update(account, "client", client["id"], {"p_city": "Springfield"})
        steady["client"] = bench.calls_for("client", client["id"], "client.update", "salesforce")
        freshbooks.update(account, "invoice", invoice["id"], {"due_offset_days": 45})
        steady["invoice"] = bench.calls_for("invoice", invoice["id"], "invoice.update", "salesforce")
        payment = freshbooks.create(account, "payment", {"invoiceid": invoice["id"], "amount": "100.00"})
        steady["payment"] = bench.calls_for("payment", payment["id"], "payment.create", "salesforce")
        steady["invoice after payment"] = bench.calls_for("invoice", invoice["id"], "invoice.update", "salesforce")

        clients = [freshbooks.create(account, "client", {"organization": f"Backfill {n}"}) for n in range(5)]
        bench.invoices(clients, invoices)
        sf_before, fb_before = len(bench.requests_of(salesforce)), len(bench.requests_of(freshbooks))
        started = time.perf_counter()
        with scope(tenant=bench.tenant):
            polling.run(bench.integration, backfill=True)  # wakes a batch runner per 200 records (inline here)
            engine.run_batch(bench.integration.pk, limit=10 * (invoices + 100))
        seconds = time.perf_counter() - started
        backfill_calls = bench.kinds(bench.requests_of(salesforce)[sf_before:])
        with scopes_disabled():
            backfilled = SyncJob.objects.filter(integration=bench.integration, trigger="backfill")
            ran, succeeded = backfilled.count(), backfilled.filter(status="succeeded").count()
        fb_reads = len(bench.requests_of(freshbooks)) - fb_before
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
            "freshbooks_reads": fb_reads,
            "target_writes": round((invoices + len(clients) + 1) / 200, 1),
        },
    }
    report_steady(steady, MINIMUM, "salesforce", "Salesforce")
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
