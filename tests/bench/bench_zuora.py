"""FreshBooks -> Zuora: API calls per event against the flow's minimum, and a backfill of invoices and payments.

    .venv/bin/python -m tests.bench.bench_zuora --invoices 1000
    .venv/bin/python -m tests.bench.bench_zuora --invoices 200      # tiny, as CI runs it

The emulators answer in process (no network); the database is a scratch SQLite file unless DATABASE_URL names
another. Reported, per kind of event in steady state (the Account written before, the token cached):
FreshBooks reads and Zuora calls, beside the minimum; then a backfill of N invoices of a few clients, a fifth
of them paid: Zuora writes and calls per record, and records per second. Prints, never asserts.
"""

import argparse
import json
import time

# The flow's minimum per event: one read of the record and one write (the invoice posted on create; the payment
# applied in its own POST). FreshBooks' own invoice update after a payment needs its read only.
MINIMUM = {"client": 2, "invoice": 2, "payment": 2, "invoice after payment": 1}
ZUORA = {
    "provider": "zuora",
    "addresses": {"environment": "us-sandbox-2"},
    "settings": {"client_id": "sandbox-zuora-client", "auth": "client_credentials"},
    "client_secret": "sandbox-zuora-secret",
}


def measure(invoices: int) -> dict:
    from tests.bench.flow_bench import FlowBench, report_steady

    bench = FlowBench("freshbooks_zuora", ZUORA)
    from django_scopes import scope, scopes_disabled

    from syncs import engine, polling
    from syncs.models import SyncJob

    with bench:
        fb, zuora = bench.freshbooks, bench.box["zuora"]
        zuora.tenant("us-sandbox-2")
        client = fb.create(bench.account, "client", {"organization": "Acme Corp", "email": "ap@acme.example"})
        first = fb.create(
            bench.account,
            "invoice",
            {
                "customerid": client["id"],
                "status": 2,
                "lines": [{"name": "Plan", "qty": 1, "unit_cost": {"amount": "5"}}],
            },
        )
        bench.event("invoice", first["id"], "invoice.create")  # first sync: the token, the Account, the invoice
        steady = {}
        fb.update(bench.account, "client", client["id"], {"organization": "Acme Corporation"})
        steady["client"] = bench.calls_for("client", client["id"], "client.update", "zuora")
        invoice = fb.create(
            bench.account,
            "invoice",
            {
                "customerid": client["id"],
                "status": 2,
                "lines": [{"name": "Plan", "qty": 1, "unit_cost": {"amount": "500"}}],
            },
        )
        steady["invoice"] = bench.calls_for("invoice", invoice["id"], "invoice.create", "zuora")
        payment = fb.create(bench.account, "payment", {"invoiceid": invoice["id"], "amount": "100.00"})
        steady["payment"] = bench.calls_for("payment", payment["id"], "payment.create", "zuora")
        steady["invoice after payment"] = bench.calls_for("invoice", invoice["id"], "invoice.update", "zuora")

        clients = [fb.create(bench.account, "client", {"organization": f"Backfill {n}"}) for n in range(5)]
        created = bench.invoices(clients, invoices)
        for record in created[::5]:
            fb.create(bench.account, "payment", {"invoiceid": record["id"], "amount": "1.00"})
        zu_before, fb_before = len(bench.requests_of(zuora)), len(bench.requests_of(fb))
        started = time.perf_counter()
        with scope(tenant=bench.tenant):
            polling.run(bench.integration, backfill=True)
            engine.run_due(bench.integration.pk, limit=10 * (invoices + 100))
        seconds = time.perf_counter() - started
        calls = bench.kinds(bench.requests_of(zuora)[zu_before:])
        with scopes_disabled():
            backfilled = SyncJob.objects.filter(integration=bench.integration, trigger="backfill")
            ran, succeeded = backfilled.count(), backfilled.filter(status="succeeded").count()
        written = len(zuora.tenant("us-sandbox-2").invoices), len(zuora.tenant("us-sandbox-2").payments)
    payments = len(created[::5])
    records = invoices + payments
    result = {
        "steady": steady,
        "minimum": MINIMUM,
        "backfill": {
            "invoices": invoices,
            "payments": payments,
            "clients": len(clients) + 1,
            "jobs_run": ran,
            "jobs_succeeded": succeeded,
            "seconds": round(seconds, 2),
            "records_per_second": round(ran / seconds, 1) if seconds else None,
            "zuora_writes": calls["write"],
            "zuora_calls": sum(calls.values()),
            "freshbooks_reads": len(bench.requests_of(fb)) - fb_before,
            "zuora_invoices": written[0],
            "zuora_payments": written[1],
            "writes_per_record": round(calls["write"] / records, 2) if records else None,
        },
    }
    report_steady(steady, MINIMUM, "zuora", "Zuora")
    b = result["backfill"]
    print(
        f"backfill of {invoices} invoices and {payments} payments of {b['clients']} clients: {b['jobs_succeeded']} "
        f"of {b['jobs_run']} jobs in {b['seconds']} s ({b['records_per_second']}/s); Zuora {b['zuora_writes']} "
        f"writes ({b['writes_per_record']} a record), {b['zuora_calls']} calls in all; FreshBooks "
        f"{b['freshbooks_reads']} reads; Zuora holds {b['zuora_invoices']} invoices, {b['zuora_payments']} payments"
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
