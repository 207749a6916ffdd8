"""The end of a chaos run: what the source says against what each target holds, in the flows' own words.

Expected writes are computed from the FreshBooks emulator's records with the flows' own mapping (the billing
section and custom fields, the contact section, each invoice note's marker, each Opportunity's fields, each
Zuora invoice's total and each payment); found is what the Zendesk, Salesforce and Zuora emulators hold.
A duplicate is a note marker twice on one ticket, or two target records carrying one FreshBooks id.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

MARKER = re.compile(r"\[ml-connector freshbooks:[^\]]+\]")
OPEN_TICKET = ("new", "open", "pending", "hold")


@dataclass
class Tally:
    expected: Counter = field(default_factory=Counter)
    found: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    problems: list = field(default_factory=list)  # (kind, source record, what is wrong)

    def check(self, kind: str, record: str, ok: bool, why: str) -> None:
        self.expected[kind] += 1
        if ok:
            self.found[kind] += 1
        else:
            self.problems.append((kind, record, why))

    def duplicate(self, kind: str, record: str, why: str) -> None:
        self.duplicates[kind] += 1
        self.problems.append((f"duplicate {kind}", record, why))

    def figures(self) -> dict:
        return {
            "expected": dict(self.expected),
            "found": dict(self.found),
            "expected_total": sum(self.expected.values()),
            "found_total": sum(self.found.values()),
            "duplicates": sum(self.duplicates.values()),
            "missing": sum(self.expected.values()) - sum(self.found.values()),
        }


class Options:
    """What a flow's mapping reads of its context: the integration's options."""

    def __init__(self, integration):
        self.options = integration.options


def source_records(fb, account_id: str) -> dict:
    """Every FreshBooks record as its API renders it (lines included, as the flows fetch invoices)."""
    from connections.providers.freshbooks.emulator.shared import KINDS

    with fb.lock:
        account = fb.account(account_id)
        return {
            kind: {rid: fb.render(account_id, KINDS[kind], r, ("lines",)) for rid, r in account[kind].items()}
            for kind in ("client", "invoice", "payment")
        }


def verify(run) -> Tally:
    tally = Tally()
    records = source_records(run.sandbox["freshbooks"], run.company["account_id"])
    verify_zendesk(run, records, tally)
    verify_salesforce(run, records, tally)
    verify_zuora(run, records, tally)
    return tally


def of_client(records: dict, client_id) -> tuple[list, list]:
    invoices = [i for i in records["invoice"].values() if i["customerid"] == client_id]
    ids = {i["id"] for i in invoices}
    return invoices, [p for p in records["payment"].values() if p["invoiceid"] in ids]


def verify_zendesk(run, records: dict, tally: Tally) -> None:
    from django_scopes import scope

    from connections.providers.zendesk.organizations import same_value
    from syncs.flows.freshbooks_zendesk import FLOW
    from syncs.flows.freshbooks_zendesk_billing import invoice_note, marker
    from syncs.models import RecordLink

    integration = run.company["integrations"]["freshbooks_zendesk"]
    ctx = Options(integration)
    zd = run.sandbox["zendesk"]
    with scope(tenant=run.company["tenant"]):
        links = dict(
            RecordLink.objects.filter(integration=integration, source_type="client").values_list(
                "source_id", "target_id"
            )
        )
    with zd.lock:
        account = zd.account("acme")
        for client_id, client in records["client"].items():
            ref = f"client:{client_id}"
            org_id = run.company["org_of_client"][client_id]
            tally.check(
                "zendesk link", ref, links.get(str(client_id)) == str(org_id), f"linked to {links.get(str(client_id))}"
            )
            org = account.organizations[org_id]
            contact = FLOW.map_client(ctx, {"client": client, "client_id": str(client_id)}).payload["section"]["text"]
            tally.check("zendesk contact section", ref, contact in (org.details or ""), "details differ")
            invoices, payments = of_client(records, client_id)
            if not invoices:
                continue
            record = {"kind": "invoice", "invoice": invoices[0], "payment": None, "client_id": str(client_id)}
            payload = FLOW.map_invoice(ctx, {**record, "invoices": invoices, "payments": payments}).payload
            tally.check("zendesk billing section", ref, payload["section"]["text"] in (org.notes or ""), "notes differ")
            held = org.organization_fields or {}
            fields_ok = all(same_value(held.get(k), v) for k, v in payload["fields"].items())
            tally.check("zendesk custom fields", ref, fields_ok, f"{held} != {payload['fields']}")
            summary = FLOW.summary_of(ctx, {"invoices": invoices, "payments": payments})
            tickets = [t for t in account.tickets.values() if t.organization_id == org_id and t.status in OPEN_TICKET]
            for ticket in tickets:
                seen = Counter(m for c in ticket.comments for m in MARKER.findall(c.body or ""))
                for mark, count in seen.items():
                    if count > 1:
                        tally.duplicate("zendesk note", f"ticket:{ticket.id}", f"{mark} {count} times")
                for invoice in invoices:
                    version, _ = invoice_note(invoice, client["organization"], summary)
                    wanted = marker("invoice", invoice["id"], version)
                    tally.check(
                        "zendesk note (latest version)",
                        f"invoice:{invoice['id']}",
                        seen.get(wanted) == 1,
                        f"ticket {ticket.id}: {wanted} {seen.get(wanted, 0)} times",
                    )


def verify_salesforce(run, records: dict, tally: Tally) -> None:
    from connections.providers.salesforce.client import CLIENT_ID_FIELD, INVOICE_ID_FIELD
    from syncs.flows.freshbooks_salesforce import FLOW, fully_paid

    opts = FLOW.options(run.company["integrations"]["freshbooks_salesforce"].options)
    sf = run.sandbox["salesforce"]
    with sf.lock:
        org = sf.org("acme")
        accounts = Counter(str(a.get(CLIENT_ID_FIELD)) for a in org.records["Account"].values())
        by_client = {str(a.get(CLIENT_ID_FIELD)): a for a in org.records["Account"].values()}
        deals = Counter(str(o.get(INVOICE_ID_FIELD)) for o in org.records["Opportunity"].values())
        by_invoice = {str(o.get(INVOICE_ID_FIELD)): o for o in org.records["Opportunity"].values()}
    for client_id, client in records["client"].items():
        ref, key = f"client:{client_id}", str(client_id)
        if accounts[key] > 1:
            tally.duplicate("salesforce Account", ref, f"{accounts[key]} Accounts")
        wanted = FLOW.account_part(client, {}).payload["fields"]
        held = by_client.get(key) or {}
        same = all(held.get(k) == v for k, v in wanted.items() if v is not None)
        tally.check("salesforce Account", ref, same, f"{ {k: held.get(k) for k in wanted} } != {wanted}")
    for invoice_id, invoice in records["invoice"].items():
        ref, key = f"invoice:{invoice_id}", str(invoice_id)
        if deals[key] > 1:
            tally.duplicate("salesforce Opportunity", ref, f"{deals[key]} Opportunities")
        won = "Closed Won" if fully_paid(invoice) else None
        wanted = FLOW.opportunity_fields(invoice, opts, won, {})
        wanted.pop("Account")
        held = by_invoice.get(key) or {}
        same = all(held.get(k) == v for k, v in wanted.items())
        tally.check("salesforce Opportunity", ref, same, f"{ {k: held.get(k) for k in wanted} } != {wanted}")


def verify_zuora(run, records: dict, tally: Tally) -> None:
    zu = run.sandbox["zuora"]
    with zu.lock:
        tenant = zu.tenant("us-sandbox-2")
        accounts = Counter(str(a["custom"].get("FreshBooksClientId__c")) for a in tenant.accounts.values())
        invoices = Counter(str(i["custom"].get("FreshBooksInvoiceId__c")) for i in tenant.invoices.values())
        by_invoice = {str(i["custom"].get("FreshBooksInvoiceId__c")): i for i in tenant.invoices.values()}
        payments = Counter(str(p.get("referenceId")) for p in tenant.payments.values())
        by_payment = {str(p.get("referenceId")): p for p in tenant.payments.values()}
    billed = {i["customerid"] for i in records["invoice"].values()}
    for client_id in billed:
        ref, key = f"client:{client_id}", str(client_id)
        if accounts[key] > 1:
            tally.duplicate("zuora Account", ref, f"{accounts[key]} Accounts")
        tally.check("zuora Account", ref, accounts[key] >= 1, "no Account")
    for invoice_id, invoice in records["invoice"].items():
        ref, key = f"invoice:{invoice_id}", str(invoice_id)
        if invoices[key] > 1:
            tally.duplicate("zuora Invoice", ref, f"{invoices[key]} Invoices")
        held = by_invoice.get(key) or {}
        total, due = Decimal(invoice["amount"]["amount"]), Decimal(invoice["outstanding"]["amount"])
        same = held.get("status") == "Posted" and Decimal(str(held.get("amount", "0"))) == total
        same = same and Decimal(str(held.get("balance", "0"))) == due  # every payment applied, once
        tally.check(
            "zuora Invoice",
            ref,
            same,
            f"{held.get('status')} {held.get('amount')} balance {held.get('balance')} != Posted {total} balance {due}",
        )
    for payment_id, payment in records["payment"].items():
        ref, key = f"payment:{payment_id}", f"FB-{payment_id}"
        if payments[key] > 1:
            tally.duplicate("zuora Payment", ref, f"{payments[key]} Payments")
        held = by_payment.get(key) or {}
        amount = Decimal(payment["amount"]["amount"])
        same = Decimal(str(held.get("amount", "0"))) == amount and len(held.get("invoices") or []) == 1
        tally.check("zuora Payment", ref, same, f"{held.get('amount')} != {amount}")
