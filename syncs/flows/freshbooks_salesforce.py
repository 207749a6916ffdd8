"""FreshBooks -> Salesforce: clients as Accounts, invoices as Opportunities, closed-won on payment (seed 004).

What moves, by the source record a job is about (one direction: Salesforce is never read back into
FreshBooks, and FreshBooks is never written):

    client             upserted as an Account by `FreshBooks_Client_Id__c`: name (on create), billing address,
                       phone, website, and the e-mail where the org has `FreshBooks_Email__c`.
    invoice, payment   upserted as an Opportunity by `FreshBooks_Invoice_Id__c`, pointing at its Account by the
                       client's external id (no lookup call): "Invoice 0000012 - Acme Corp", amount, due date
                       as the close date, and the stage the integration maps the invoice's status to; fully
                       paid, it moves to the org's own won stage (read from OpportunityStage, cached a day), and
                       a partial payment updates the amount collected (`FreshBooks_Amount_Paid__c`, optional).

A job's mapping is a write plan: an invoice of a client whose Account was never written carries the Account
first, then the Opportunity; each part is in the ledger, so a replay or a retry after a crash between the two
writes only what did not land, and both writes are upserts by external id, so a lost answer never makes a
second record.

Matching: a client's Account is its link, else the mirror of Accounts (the FreshBooks id already on one,
then the name, exact then fuzzy, through the review queue when unsure); nothing found creates one. A 300 (two
Accounts with one client id) opens a review item instead of a guess.

API calls per event in steady state (Account written before, describe and won stage cached): client 2 (fetch,
upsert), invoice 2 (fetch, upsert), payment 3 (the payment, its invoice, upsert). The first invoice of a client
not written yet adds the client's fetch and its Account write.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from connections.providers.errors import SeveralRecords
from connections.providers.freshbooks import client as freshbooks
from connections.providers.freshbooks.domain import client_name
from connections.providers.salesforce import client as salesforce
from connections.providers.salesforce import reads
from syncs import engine, mirror, review
from syncs.flows.base import (
    THRESHOLD_DEFAULTS,
    THRESHOLD_FIELDS,
    Flow,
    Mapped,
    NeedsReview,
    OptionField,
    Plan,
    Skip,
    SourceRef,
    threshold_errors,
)
from syncs.matching import Candidate, MatchDecision, MatchKind
from syncs.models import RecordLink

SLUG = "freshbooks_salesforce"
EMAIL_FIELD = "FreshBooks_Email__c"
PAID_FIELD = "FreshBooks_Amount_Paid__c"

DEFAULT_OPTIONS = {
    "clients": True,
    "invoices": True,
    "include_drafts": False,  # a draft was never sent: it is not yet pipeline
    "stage_draft": "Prospecting",
    "stage_sent": "Proposal/Price Quote",
    "stage_partial": "Negotiation/Review",
    **THRESHOLD_DEFAULTS,
}
OPTION_FIELDS = (
    OptionField("clients", "Clients to Accounts", "bool"),
    OptionField("invoices", "Invoices to Opportunities, closed-won when paid", "bool"),
    OptionField("include_drafts", "Draft invoices too (never sent to the customer)", "bool"),
    OptionField("stage_draft", "Stage of a draft invoice's Opportunity", "text"),
    OptionField("stage_sent", "Stage of a sent, unpaid invoice's Opportunity", "text"),
    OptionField("stage_partial", "Stage of a partly paid invoice's Opportunity", "text"),
    *THRESHOLD_FIELDS,
)


def money(value) -> Decimal:
    try:
        return Decimal(str((value or {}).get("amount") or 0))
    except (InvalidOperation, AttributeError):
        return Decimal(0)


def fully_paid(invoice: dict) -> bool:
    return money(invoice.get("amount")) > 0 and money(invoice.get("outstanding")) <= 0


class FreshBooksSalesforce(Flow):
    slug = SLUG
    name = "FreshBooks -> Salesforce: Accounts and Opportunities, closed-won on payment"
    source_provider = "freshbooks"
    target_provider = "salesforce"
    listens_to = frozenset(
        {"client.create", "client.update", "invoice.create", "invoice.update", "payment.create", "payment.update"}
    )
    source_record_type, target_record_type = "client", "Account"
    polled_types = ("client", "invoice")
    default_options = DEFAULT_OPTIONS
    option_fields = OPTION_FIELDS

    def check_options(self, options: dict) -> list[str]:
        named = [f"{o.label}: a stage name, please." for o in OPTION_FIELDS if o.kind == "text" and not options[o.name]]
        return named + threshold_errors(options)

    def preview(self, options: dict) -> dict:
        opts = self.options(options)
        invoice = {
            "id": 12,
            "invoice_number": "0000012",
            "customerid": 7,
            "due_date": "2026-12-31",
            "amount": {"amount": "1200.00", "code": "USD"},
            "outstanding": {"amount": "1200.00", "code": "USD"},
            "paid": {"amount": "0.00", "code": "USD"},
            "v3_status": "sent",
            "organization": "Acme Corp",
        }
        fields = self.opportunity_fields(invoice, opts, won_stage="(the org's won stage)", org={})
        return {
            "Account": "Acme Corp, its billing address, phone and website (by FreshBooks_Client_Id__c = 7)",
            "Opportunity": ", ".join(f"{k}: {v}" for k, v in fields.items() if k != "Account"),
            "When paid": "StageName: (the org's won stage), CloseDate: the payment date",
        }

    # Fetch ---------------------------------------------------------------------------------------------

    def fetch(self, ctx, ref: SourceRef) -> dict | None:
        return getattr(self, f"fetch_{ref.type}")(ctx, ref.id)

    def fetch_client(self, ctx, client_id) -> dict | None:
        client = freshbooks.get_record(ctx.source, "client", client_id, integration=ctx.integration)
        return client and {
            "kind": "client",
            "client": client,
            "client_id": str(client["id"]),
            "org": self.org_fields(ctx),
        }

    def fetch_invoice(self, ctx, invoice_id, payment=None) -> dict | None:
        invoice = freshbooks.get_record(ctx.source, "invoice", invoice_id, integration=ctx.integration)
        if invoice is None:
            return None
        client_id = str(invoice["customerid"])
        record = {"kind": "invoice", "invoice": invoice, "payment": payment, "client_id": client_id}
        account = ctx.written("client", client_id, "account")
        if account is None or account.state != account.State.WRITTEN:
            # The client's Account was never surely written (never tried, or its answer never came): this plan
            # carries it first, as an upsert, rather than point the Opportunity at an Account Salesforce may lack.
            record["client"] = freshbooks.get_record(ctx.source, "client", client_id, integration=ctx.integration)
        if fully_paid(invoice):
            record["won_stage"] = salesforce.won_stage(ctx.target, integration=ctx.integration)
            record["salesforce_invoice"] = self.salesforce_invoice(ctx, client_id, invoice)
        record["org"] = self.org_fields(ctx)
        return record

    def salesforce_invoice(self, ctx, client_id, invoice) -> dict | None:
        """The org's own Invoice for this paid invoice, where it has Order Management (the Invoice object):
        the one of the client's Account with the same total. Not found, or not one, the timeline says why."""
        number = invoice.get("invoice_number")
        if not salesforce.has_object(ctx.target, "Invoice", integration=ctx.integration):
            ctx.record(
                "salesforce.invoice_not_linked",
                f"Invoice {number} is paid; the org has no Salesforce Invoices (Order Management or Billing is not "
                "licensed), so the Opportunity is not linked to one.",
            )
            return None
        link = ctx.link("client", client_id, "Account")
        total = money(invoice.get("amount"))
        found = reads.invoices_totalling(ctx.target, link.target_id, total, integration=ctx.integration) if link else []
        if len(found) != 1:
            why = "none" if not found else f"{len(found)}"
            ctx.record(
                "salesforce.invoice_not_linked",
                f"Invoice {number} is paid; {why} of the Account's Salesforce Invoices total {total:.2f}, so the "
                "Opportunity is not linked to one.",
            )
            return None
        return {"id": found[0]["Id"], "number": found[0].get("DocumentNumber") or found[0]["Id"]}

    def fetch_payment(self, ctx, payment_id) -> dict | None:
        payment = freshbooks.get_record(ctx.source, "payment", payment_id, integration=ctx.integration)
        if payment is None:
            return None
        record = self.fetch_invoice(ctx, payment["invoiceid"], payment)
        return record and {**record, "kind": "payment"}

    def org_fields(self, ctx) -> dict:
        """Which optional fields this org has (describe, cached): the e-mail, the amount paid, the currency."""
        account = {f["name"] for f in salesforce.describe(ctx.target, "Account", integration=ctx.integration)["fields"]}
        deal = {
            f["name"] for f in salesforce.describe(ctx.target, "Opportunity", integration=ctx.integration)["fields"]
        }
        return {"email": EMAIL_FIELD in account, "paid": PAID_FIELD in deal, "currency": "CurrencyIsoCode" in deal}

    # Map: pure ----------------------------------------------------------------------------------------

    def map(self, ctx, record: dict) -> Mapped | Plan:
        opts = self.options(ctx.options)
        if record["kind"] == "client":
            if not opts["clients"]:
                raise Skip("Clients are switched off for this integration.")
            return self.account_part(record["client"], record["org"])
        if not opts["invoices"]:
            raise Skip("Invoices are switched off for this integration.")
        invoice = record["invoice"]
        if invoice.get("vis_state", 0) != 0:
            raise Skip(
                f"Invoice {invoice.get('invoice_number')} is deleted or archived in FreshBooks; its "
                "Opportunity is left as it is."
            )
        if invoice.get("v3_status") == "draft" and not opts["include_drafts"]:
            raise Skip(f"Invoice {invoice.get('invoice_number')} is a draft; drafts are not synced.")
        parts = []
        if record.get("client"):
            parts.append(self.account_part(record["client"], record["org"]))
        fields = self.opportunity_fields(invoice, opts, record.get("won_stage"), record["org"], record.get("payment"))
        if record.get("salesforce_invoice"):
            linked = record["salesforce_invoice"]
            fields["Description"] += f" Salesforce Invoice {linked['number']} ({linked['id']})."
        parts.append(
            Mapped(
                "Opportunity",
                {"external_id": str(invoice["id"]), "fields": fields},
                summary=f"Invoice {invoice.get('invoice_number')} -> Opportunity at {fields['StageName']}",
                name="opportunity",
                # The invoice's, whichever event brought it: a payment and the invoice's own update share one
                # ledger row, so the second of them writes nothing.
                source=SourceRef("invoice", str(invoice["id"])),
            )
        )
        return Plan(parts, summary=" then ".join(p.summary for p in parts))

    def account_part(self, client: dict, org: dict) -> Mapped:
        name = client_name(client)
        fields = {
            "Name": name[:255],
            "Phone": client.get("bus_phone") or client.get("mob_phone") or None,
            "Website": client.get("website") or None,
            "BillingStreet": "\n".join(p for p in (client.get("p_street"), client.get("p_street2")) if p) or None,
            "BillingCity": client.get("p_city") or None,
            "BillingState": client.get("p_province") or None,
            "BillingPostalCode": client.get("p_code") or None,
            "BillingCountry": client.get("p_country") or None,
        }
        if org.get("email"):
            fields[EMAIL_FIELD] = client.get("email") or None
        return Mapped(
            "Account",
            {"external_id": str(client["id"]), "fields": fields, "email": client.get("email") or ""},
            summary=f"Client {name} -> Account",
            name="account",
            source=SourceRef("client", str(client["id"])),
            identity=True,
        )

    def opportunity_fields(self, invoice, opts, won_stage, org, payment=None) -> dict:
        number = invoice.get("invoice_number") or invoice["id"]
        who = invoice.get("current_organization") or invoice.get("organization") or f"client {invoice['customerid']}"
        total, paid = money(invoice.get("amount")), money(invoice.get("paid"))
        code = (invoice.get("amount") or {}).get("code") or invoice.get("currency_code") or ""
        if fully_paid(invoice) and won_stage:
            stage, close = won_stage, invoice.get("date_paid") or (payment or {}).get("date") or invoice.get("due_date")
        else:
            status = "draft" if invoice.get("v3_status") == "draft" else "partial" if paid > 0 else "sent"
            stage, close = opts[f"stage_{status}"], invoice.get("due_date") or invoice.get("create_date")
        fields = {
            "Name": f"Invoice {number} - {who}"[:120],
            "Amount": float(total),
            "CloseDate": close,
            "StageName": stage,
            "Description": f"FreshBooks invoice {number}: {paid:.2f} of {total:.2f} {code} paid.",
            "Account": {salesforce.CLIENT_ID_FIELD: str(invoice["customerid"])},
        }
        if org.get("paid"):
            fields[PAID_FIELD] = float(paid)
        if org.get("currency") and code:
            fields["CurrencyIsoCode"] = code
        return fields

    # Find the target ------------------------------------------------------------------------------------

    def find_target(self, ctx, record: dict, mapped: Mapped) -> tuple[str | None, str]:
        if mapped.target_type == "Opportunity":
            return None, "external id"  # upserted by FreshBooks_Invoice_Id__c
        client_id = mapped.payload["external_id"]
        if mirror.state_of(ctx.target, "Account").loaded_at is None:
            mirror.load(ctx.target, "Account")  # matched before the org's Accounts were read: read them once
        try:
            return review.match_or_review(
                ctx,
                source_type="client",
                source_id=client_id,
                name=mapped.payload["fields"]["Name"],
                emails=tuple(e for e in (mapped.payload["email"],) if e),
                external_id=self.external_id_of(client_id),
                record_type="Account",
                create_when_none=True,
                summary={"email": mapped.payload["email"], "city": mapped.payload["fields"]["BillingCity"] or ""},
            )
        except NeedsReview:
            if ctx.job is not None and ctx.job.source_type != "client":
                engine.wait_for(
                    ctx, "client", client_id, f"Waits for a person to decide which Account client {client_id} is."
                )
            raise

    # Write: upserts by external id, each a single call ------------------------------------------------------

    def write(self, ctx, mapped: Mapped, target_id: str | None) -> str:
        fields = mapped.payload["fields"]
        if mapped.target_type == "Account":
            return self.write_account(ctx, mapped.payload["external_id"], fields, target_id)
        record_id, _ = salesforce.upsert(
            ctx.target,
            "Opportunity",
            salesforce.INVOICE_ID_FIELD,
            mapped.payload["external_id"],
            fields,
            integration=ctx.integration,
        )
        return record_id

    def account_update(self, ctx, client_id, fields) -> dict:
        """An Account of the sales team's (matched, or linked by a person) keeps the name they gave it."""
        link = ctx.link("client", client_id, "Account")
        keep = {k: v for k, v in fields.items() if k != "Name" or (link and link.method == "created")}
        return {**keep, salesforce.CLIENT_ID_FIELD: client_id}

    def write_account(self, ctx, client_id, fields, target_id) -> str:
        if target_id:
            changes = self.account_update(ctx, client_id, fields)
            salesforce.update(ctx.target, "Account", target_id, changes, integration=ctx.integration)
            return target_id
        try:
            record_id, _ = salesforce.upsert(
                ctx.target, "Account", salesforce.CLIENT_ID_FIELD, client_id, fields, integration=ctx.integration
            )
        except SeveralRecords as exc:
            raise self.several_accounts(ctx, client_id, fields["Name"], exc) from None
        return record_id

    def several_accounts(self, ctx, client_id, name, exc: SeveralRecords) -> NeedsReview:
        """Two Accounts carry this client's id: a person says which one it is; nothing is guessed."""
        candidates = tuple(
            Candidate(record_id, record_id, 100.0, ("FreshBooks client id",)) for record_id in exc.records
        )
        item = review.open_item(
            ctx,
            kind="match",
            source_type="client",
            source_id=str(client_id),
            summary={"name": name, "emails": [], "external_id": str(client_id)},
            target_type="Account",
            decision=MatchDecision(MatchKind.AMBIGUOUS, None, candidates, "several Accounts carry this client id"),
            reason=f"{len(exc.records)} Salesforce Accounts carry FreshBooks client id {client_id}",
        )
        return NeedsReview(exc.message, review_item=item)

    # Many at once (backfill): sObject Collections, 200 records a call ---------------------------------------

    batch_size = salesforce.COLLECTION_SIZE

    def write_many(self, ctx, writes: list[tuple[Mapped, str | None]]) -> list:
        """Parts of one kind in as few calls as Collections allow: each record's id, or its own error."""
        calls: dict[tuple, list[tuple[int, dict]]] = {}
        for index, (mapped, target_id) in enumerate(writes):
            ext, fields = mapped.payload["external_id"], dict(mapped.payload["fields"])
            if mapped.target_type == "Account" and target_id:
                calls.setdefault(("update", "Account"), []).append(
                    (index, {"id": target_id, **self.account_update(ctx, ext, fields)})
                )
                continue
            if "Account" in fields:  # a relationship by external id needs its type inside a collection
                fields["Account"] = {"attributes": {"type": "Account"}, **fields["Account"]}
            field = salesforce.CLIENT_ID_FIELD if mapped.target_type == "Account" else salesforce.INVOICE_ID_FIELD
            calls.setdefault(("upsert", mapped.target_type, field), []).append((index, {field: ext, **fields}))
        answers: list = [None] * len(writes)
        for key, entries in calls.items():
            records = [record for _, record in entries]
            if key[0] == "update":
                results = salesforce.update_many(ctx.target, key[1], records, integration=ctx.integration)
            else:
                results = salesforce.upsert_many(ctx.target, key[1], key[2], records, integration=ctx.integration)
            for (index, _), result in zip(entries, results, strict=True):
                answers[index] = result["id"] if result.get("success") else salesforce.record_error(result)
        return answers

    # Read back, never written: the page shows each linked Account's owner and Orders -------------------------

    def insights(self, ctx, limit: int = 25) -> dict:
        """Two queries, whatever the number of clients shown: their Accounts (with owner), then their Orders."""
        links = list(
            RecordLink.objects.filter(integration=ctx.integration, source_type="client", target_type="Account")
            .order_by("-updated_at")
            .values_list("source_id", "target_id")[:limit]
        )
        ids = [account_id for _, account_id in links]
        accounts = reads.accounts_with_owners(ctx.target, ids, integration=ctx.integration)
        orders = reads.orders_of(ctx.target, ids, integration=ctx.integration)
        rows = [
            (
                client_id,
                accounts.get(account_id, {}).get("name") or f"{account_id} (not found)",
                accounts.get(account_id, {}).get("owner", ""),
                "; ".join(orders.get(account_id, [])) or "none",
            )
            for client_id, account_id in links
        ]
        return {
            "title": "Linked Accounts in Salesforce, with their owners and Orders",
            "note": "Read from Salesforce for reference; ml-connector never changes Orders or owners.",
            "columns": ("FreshBooks client", "Account", "Owner", "Orders"),
            "empty": "No FreshBooks client is linked to an Account yet.",
            "rows": rows,
        }

    # Polling and backfill -------------------------------------------------------------------------------

    def changes(self, ctx, record_type: str, since, page: int) -> tuple[list[dict], bool]:
        return freshbooks.list_records(ctx.source, record_type, since=since, page=page, integration=ctx.integration)

    def setup_problems(self, ctx) -> list[str]:
        """What the customer must create in Salesforce first, and stage names the org does not have (the fit
        check says it; the connection's Test says the first half)."""
        problems = salesforce.setup_problems(ctx.target, integration=ctx.integration)
        stages = salesforce.stages(ctx.target, integration=ctx.integration)
        opts = self.options(ctx.options)
        for option in (o for o in OPTION_FIELDS if o.kind == "text"):
            if opts[option.name] not in stages:
                problems.append(
                    f"{option.label}: {opts[option.name]!r} is not an active stage of this org; choose one of "
                    f"{', '.join(stages)} on the integration page."
                )
        return problems


FLOW = FreshBooksSalesforce()
