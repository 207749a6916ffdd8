"""FreshBooks -> Zuora: clients as billing Accounts, invoices as posted standalone Invoices, payments applied
(seed 001). One direction: accounting into billing; FreshBooks is never written.

What moves, by the source record a job is about:

    client     its Account, once it is billed (its first invoice makes it): found by `FreshBooksClientId__c`,
               else by bill-to e-mail, else created (name, currency, bill-to contact, bill cycle day, payment
               term, `autoPay: false`, the id field; never `crmId`, which Zuora's Salesforce connector owns).
               A name alone never attaches it: a person does.
    invoice    a standalone Invoice with its lines (amounts, quantities, descriptions, tax as FreshBooks computed
               it), invoice and due dates, the FreshBooks number and id, posted on create. A change while it
               is a draft in Zuora (unposted by a person) amends and posts it again; a change to a posted one
               is left, and the timeline says what Zuora allows.
    payment    an External Payment applied to its invoice, in one POST.

Each job's mapping is a write plan: the client's Account when it was never written, the Invoice when it was
never written, then the job's own part; so a payment for an invoice Zuora does not have yet creates it first
instead of failing. Every create is a POST with an `Idempotency-Key` (`engine.run.idempotency_key`: stable
across retries of the same content), so a retry after a lost answer gets Zuora's first answer back. Zuora
keeps keys 24 hours; a write first attempted longer ago looks its record up by the FreshBooks id before it
creates again.

API calls per event in steady state (the Account and the invoice written before): invoice 2 (fetch, create
posted), payment 2 (the payment, the payment POST); a payment of an invoice Zuora does not have yet also reads
the invoice and creates it first. The first invoice of a new client adds its fetch and the
Account's create; a client matched by id or e-mail adds the id field's update.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from connections.providers.errors import Invalid, Retryable
from connections.providers.freshbooks import client as freshbooks
from connections.providers.freshbooks.domain import client_name, person_name
from connections.providers.zuora import client as zuora
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

SLUG = "freshbooks_zuora"
KEY_WINDOW = timedelta(hours=23)  # Zuora keeps idempotency keys 24 hours; an hour of margin
TERMS = {0: "Due Upon Receipt", 30: "Net 30", 60: "Net 60", 90: "Net 90"}

DEFAULT_OPTIONS = {"invoices": True, "payments": True, "bill_cycle_day": 1, **THRESHOLD_DEFAULTS}
OPTION_FIELDS = (
    OptionField("invoices", "Invoices to posted Zuora invoices", "bool"),
    OptionField("payments", "Payments applied to their invoices as External Payments", "bool"),
    OptionField("bill_cycle_day", "Bill cycle day of new Accounts (1-31)", "int", low=1, high=31),
    *THRESHOLD_FIELDS,
)


def money(value) -> Decimal:
    try:
        return Decimal(str((value or {}).get("amount") if isinstance(value, dict) else value or 0))
    except InvalidOperation:
        return Decimal(0)


def holds(current: dict, fields: dict) -> bool:
    """Whether Zuora's invoice already has FreshBooks' total and due date."""
    total = sum(
        (
            Decimal(str(i.get("amount", 0))) + sum(Decimal(str(t["taxAmount"])) for t in i.get("taxItems") or [])
            for i in fields["invoiceItems"]
        ),
        Decimal(0),
    )
    return current.get("dueDate") == fields["dueDate"] and money(current.get("amount")) == total


def number(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.01")))


class FreshBooksZuora(Flow):
    slug = SLUG
    name = "FreshBooks -> Zuora: Accounts, Invoices and applied Payments in billing"
    source_provider = "freshbooks"
    target_provider = "zuora"
    listens_to = frozenset(
        {"client.create", "client.update", "invoice.create", "invoice.update", "payment.create", "payment.update"}
    )
    source_record_type, target_record_type = "client", "account"
    polled_types = ("client", "invoice", "payment")
    default_options = DEFAULT_OPTIONS
    option_fields = OPTION_FIELDS

    def check_options(self, options: dict) -> list[str]:
        return threshold_errors(options)

    def preview(self, options: dict) -> dict:
        return {
            "Account": "Acme Corp, USD, bill-to contact and e-mail, bill cycle day "
            f"{self.options(options)['bill_cycle_day']}, Net 30, autoPay off, FreshBooksClientId__c = 7",
            "Invoice": "FB-0000012 posted on its FreshBooks date, due date and lines (1 x Consulting 1,200.00)",
            "Payment": "an External Payment of the amount received, applied to that invoice",
        }

    # Fetch ---------------------------------------------------------------------------------------------

    def fetch(self, ctx, ref: SourceRef) -> dict | None:
        return getattr(self, f"fetch_{ref.type}")(ctx, ref.id)

    def fetch_client(self, ctx, client_id) -> dict | None:
        client = freshbooks.get_record(ctx.source, "client", client_id, integration=ctx.integration)
        return client and {"kind": "client", "client": client}

    def fetch_invoice(self, ctx, invoice_id) -> dict | None:
        invoice = freshbooks.get_invoice(ctx.source, invoice_id, integration=ctx.integration)
        if invoice is None:
            return None
        record = {"kind": "invoice", "invoice": invoice}
        client_id = str(invoice["customerid"])
        if not ctx.link("client", client_id, "account"):  # never billed: its Account comes first in the plan
            record["client"] = freshbooks.get_record(ctx.source, "client", client_id, integration=ctx.integration)
        return record

    def fetch_payment(self, ctx, payment_id) -> dict | None:
        payment = freshbooks.get_record(ctx.source, "payment", payment_id, integration=ctx.integration)
        if payment is None:
            return None
        billed = ctx.written("invoice", str(payment["invoiceid"]), "invoice")
        if billed is not None and billed.state == billed.State.WRITTEN:
            # Its invoice is in Zuora already: the payment alone says all the POST needs.
            return {"kind": "payment", "payment": payment, "invoice": None}
        record = self.fetch_invoice(ctx, payment["invoiceid"])
        return record and {**record, "kind": "payment", "payment": payment}

    # Map: pure ----------------------------------------------------------------------------------------

    def map(self, ctx, record: dict) -> Mapped | Plan:
        opts = self.options(ctx.options)
        if record["kind"] == "client":
            client = record["client"]
            if not ctx.link("client", client["id"], "account"):
                raise Skip(
                    f"Client {client_name(client)} is not billed yet: its Account is made with its first invoice."
                )
            return self.account_part(client, opts)
        if record["kind"] == "payment" and record["invoice"] is None:
            if not opts["payments"]:
                raise Skip("Payments are switched off for this integration.")
            return self.payment_part(record["payment"], None)
        invoice = record["invoice"]
        if invoice.get("vis_state", 0) != 0 or invoice.get("v3_status") == "draft":
            raise Skip(f"Invoice {invoice.get('invoice_number')} is a draft or deleted in FreshBooks; not billed.")
        terms = int(invoice.get("due_offset_days") or 0)
        parts = [self.account_part(record["client"], opts, terms)] if record.get("client") else []
        if record["kind"] == "invoice" and not opts["invoices"]:
            raise Skip("Invoices are switched off for this integration.")
        if record["kind"] == "payment" and not opts["payments"]:
            raise Skip("Payments are switched off for this integration.")
        parts.append(self.invoice_part(invoice))
        if record["kind"] == "payment":
            parts.append(self.payment_part(record["payment"], invoice))
        return Plan(parts, summary=" then ".join(p.summary for p in parts))

    def account_part(self, client: dict, opts: dict, terms_days: int = 0) -> Mapped:
        first, _, last = (person_name(client) or client_name(client)).partition(" ")
        contact = {
            "firstName": (first or client_name(client))[:100],
            "lastName": (last or first or "-")[:100],
            "workEmail": client.get("email") or None,
            "address1": client.get("p_street") or None,
            "city": client.get("p_city") or None,
            "state": client.get("p_province") or None,
            "zipCode": client.get("p_code") or None,
            "country": client.get("p_country") or None,
        }
        fields = {
            "name": client_name(client)[:255],
            "currency": client.get("currency_code") or "USD",
            "billCycleDay": int(opts["bill_cycle_day"]),
            "paymentTerm": TERMS.get(terms_days, "Due Upon Receipt"),
            "autoPay": False,
            "billToContact": {k: v for k, v in contact.items() if v},
            zuora.CLIENT_ID_FIELD: str(client["id"]),
        }
        return Mapped(
            "account",
            {"client_id": str(client["id"]), "fields": fields, "email": client.get("email") or ""},
            summary=f"Client {fields['name']} -> Account",
            name="account",
            source=SourceRef("client", str(client["id"])),
            identity=True,
        )

    def invoice_part(self, invoice: dict) -> Mapped:
        code = (invoice.get("amount") or {}).get("code") or invoice.get("currency_code") or "USD"
        items = []
        for line in invoice.get("lines") or []:
            item = {
                "chargeName": (line.get("name") or "Item")[:100],
                "description": line.get("description") or None,
                "quantity": float(Decimal(str(line.get("qty") or 1))),
                "unitPrice": number(money(line.get("unit_cost"))),
                "amount": number(money(line.get("amount"))),
                "serviceStartDate": invoice.get("create_date"),
            }
            taxes = [
                {"name": line[f"taxName{n}"], "taxAmount": number(money(line.get(f"taxAmount{n}")))}
                for n in (1, 2)
                if line.get(f"taxName{n}") and money(line.get(f"taxAmount{n}"))
            ]
            if taxes:
                item["taxItems"] = taxes
            items.append({k: v for k, v in item.items() if v is not None})
        fields = {
            "invoiceDate": invoice.get("create_date"),
            "dueDate": invoice.get("due_date"),
            "status": "Posted",
            "invoiceNumber": f"FB-{invoice.get('invoice_number') or invoice['id']}"[:32],
            "currency": code,
            "comments": f"FreshBooks invoice {invoice.get('invoice_number')}",
            "invoiceItems": items,
            zuora.INVOICE_ID_FIELD: str(invoice["id"]),
        }
        return Mapped(
            "invoice",
            {"client_id": str(invoice["customerid"]), "fields": fields},
            summary=f"Invoice {invoice.get('invoice_number')} -> Zuora ({money(invoice.get('amount')):.2f} {code})",
            name="invoice",
            source=SourceRef("invoice", str(invoice["id"])),
        )

    def payment_part(self, payment: dict, invoice: dict | None) -> Mapped:
        """The payment's External Payment; `invoice` is None when Zuora has the invoice already."""
        amount = money(payment.get("amount"))
        invoice = invoice or {
            "id": payment["invoiceid"],
            "customerid": payment.get("clientid"),
            "invoice_number": payment.get("invoiceid"),
        }
        fields = {
            "type": "External",
            "amount": number(amount),
            "currency": (payment.get("amount") or {}).get("code") or invoice.get("currency_code") or "USD",
            "effectiveDate": payment.get("date"),
            "comment": f"FreshBooks payment {payment['id']} ({payment.get('type') or 'payment'})",
            "referenceId": f"FB-{payment['id']}",
        }
        return Mapped(
            "payment",
            {"client_id": str(invoice["customerid"]), "invoice_id": str(invoice["id"]), "fields": fields},
            summary=f"Payment {payment['id']} of {amount:.2f} -> applied to invoice {invoice.get('invoice_number')}",
            name="payment",
        )

    # Find the target: Accounts by id field, then e-mail; a name alone goes to a person ----------------------

    def find_target(self, ctx, record: dict, mapped: Mapped) -> tuple[str | None, str]:
        if mapped.target_type != "account":
            return None, "created by this integration"
        client_id = mapped.payload["client_id"]
        if mirror.state_of(ctx.target, "account").loaded_at is None:
            mirror.load(ctx.target, "account")
        try:
            return review.match_or_review(
                ctx,
                source_type="client",
                source_id=client_id,
                name=mapped.payload["fields"]["name"],
                emails=tuple(e for e in (mapped.payload["email"],) if e),
                external_id=self.external_id_of(client_id),
                use_email=True,
                name_links=False,
                create_when_none=True,
                record_type="account",
                summary={"email": mapped.payload["email"]},
            )
        except NeedsReview:
            if ctx.job is not None and ctx.job.source_type != "client":
                engine.wait_for(
                    ctx, "client", client_id, f"Waits for a person to decide which Account client {client_id} is."
                )
            raise

    # Write: creates with idempotency keys; a key older than Zuora's window looks first -------------------------

    def write(self, ctx, mapped: Mapped, target_id: str | None) -> str:
        return getattr(self, f"write_{mapped.target_type}")(ctx, mapped, target_id)

    def write_account(self, ctx, mapped, target_id) -> str:
        fields = mapped.payload["fields"]
        if target_id:
            # Zuora's own Account (matched by e-mail, or linked by a person) gets only our id field; one we
            # created follows the client's name too.
            changes = {zuora.CLIENT_ID_FIELD: mapped.payload["client_id"]}
            link = ctx.link("client", mapped.payload["client_id"], "account")
            if link and link.method == "created":
                changes["name"] = fields["name"]
            zuora.call(
                ctx.target,
                "PUT",
                f"/v1/accounts/{target_id}",
                json_body=changes,
                integration=ctx.integration,
                track_id=self.track_id(ctx),
            )
            return target_id
        if self.key_expired(mapped):
            found = zuora.query_accounts(
                ctx.target, zuora.CLIENT_ID_FIELD, mapped.payload["client_id"], integration=ctx.integration
            )
            if found:
                return found[0]["id"]
        created = zuora.create(ctx.target, "/v1/accounts", fields, **self.create_args(ctx, mapped))
        return created["accountId"]

    def write_invoice(self, ctx, mapped, target_id) -> str:
        fields = dict(mapped.payload["fields"])
        if target_id:
            return self.amend_invoice(ctx, target_id, fields)
        if self.key_expired(mapped):
            found = self.billed_as(ctx, fields)
            if found:
                return found
        fields["accountId"] = self.account_of(ctx, mapped.payload["client_id"])
        try:
            return zuora.create(ctx.target, "/v1/invoices", fields, **self.create_args(ctx, mapped))["id"]
        except Invalid:
            # Refused (its number taken, say): another job may have billed it with a key of its own meanwhile.
            found = self.billed_as(ctx, fields)
            if found:
                return found
            raise

    def billed_as(self, ctx, fields) -> str | None:
        """Zuora's invoice carrying this FreshBooks invoice's id, if it has one."""
        found = zuora.query_records(
            ctx.target, "invoices", zuora.INVOICE_ID_FIELD, fields[zuora.INVOICE_ID_FIELD], integration=ctx.integration
        )
        return found[0]["id"] if found else None

    def amend_invoice(self, ctx, invoice_id, fields) -> str:
        """A draft (one a person unposted in Zuora to correct it) takes the new lines and due date, then is
        posted again, as every invoice this flow bills is; a posted one keeps its lines, and the timeline says
        so and what was left as it is."""
        current = zuora.call(ctx.target, "GET", f"/v1/invoices/{invoice_id}", integration=ctx.integration).data or {}
        if current.get("status") == "Draft":
            changes = {"dueDate": fields["dueDate"], "invoiceItems": fields["invoiceItems"]}
            zuora.call(ctx.target, "PUT", f"/v1/invoices/{invoice_id}", json_body=changes, integration=ctx.integration)
            posting = {"invoices": [{"id": invoice_id, "invoiceDate": fields["invoiceDate"]}]}
            zuora.call(ctx.target, "POST", "/v1/invoices/bulk-post", json_body=posting, integration=ctx.integration)
            ctx.record(
                "zuora.invoice_amended",
                f"Invoice {fields['invoiceNumber']} was a draft in Zuora: its lines and due date now match "
                "FreshBooks, and it was posted again.",
                target_ref=f"invoice:{invoice_id}",
            )
            return invoice_id
        if holds(current, fields):
            return invoice_id  # a retry after the draft was amended and posted: it matches already
        ctx.record(
            "zuora.invoice_not_amended",
            f"FreshBooks changed invoice {fields['invoiceNumber']} after Zuora posted it ({current.get('status')}). "
            "Zuora does not change a posted invoice's lines; it was left as it is. To bill the difference, reverse "
            "or cancel it in Zuora and replay this job.",
            "warning",
            target_ref=f"invoice:{invoice_id}",
        )
        return invoice_id

    def write_payment(self, ctx, mapped, target_id) -> str:
        if target_id:
            return target_id  # a payment once applied is Zuora's record; FreshBooks edits do not move money twice
        if self.key_expired(mapped):
            reference = mapped.payload["fields"]["referenceId"]
            found = zuora.query_records(ctx.target, "payments", "referenceId", reference, integration=ctx.integration)
            if found:
                return found[0]["id"]
        invoice_id = self.invoice_of(ctx, mapped.payload["invoice_id"])
        fields = {
            **mapped.payload["fields"],
            "accountId": self.account_of(ctx, mapped.payload["client_id"]),
            "invoices": [{"invoiceId": invoice_id, "amount": mapped.payload["fields"]["amount"]}],
        }
        return zuora.create(ctx.target, "/v1/payments", fields, **self.create_args(ctx, mapped))["id"]

    # Helpers of the writes ------------------------------------------------------------------------------

    def account_of(self, ctx, client_id) -> str:
        link = ctx.link("client", client_id, "account")
        if link is None:  # its Account part runs first in every plan; only a link undone meanwhile gets here
            raise Retryable(f"Client {client_id} has no Zuora Account yet; trying again.", provider="zuora")
        return link.target_id

    def invoice_of(self, ctx, invoice_id) -> str:
        written = ctx.written("invoice", invoice_id, "invoice")
        if written is None or not written.target_id or written.state != written.State.WRITTEN:
            raise Retryable(f"Invoice {invoice_id} is not in Zuora yet; the payment waits for it.", provider="zuora")
        return written.target_id

    def create_args(self, ctx, mapped) -> dict:
        return {
            "idempotency_key": mapped.extra.get("idempotency_key", ""),
            "integration": ctx.integration,
            "track_id": self.track_id(ctx),
        }

    def track_id(self, ctx) -> str:
        return f"mlc-{ctx.job.uuid.hex}" if ctx.job else ""

    def key_expired(self, mapped) -> bool:
        since = mapped.extra.get("pending_since")
        return bool(since and timezone.now() - since > KEY_WINDOW)

    # Polling and backfill -------------------------------------------------------------------------------

    def changes(self, ctx, record_type: str, since, page: int) -> tuple[list[dict], bool]:
        return freshbooks.list_records(ctx.source, record_type, since=since, page=page, integration=ctx.integration)

    def setup_problems(self, ctx) -> list[str]:
        """The custom fields the customer must create in Zuora first (the fit check and the connection's
        Test both say it)."""
        return zuora.setup_problems(ctx.target, integration=ctx.integration)


FLOW = FreshBooksZuora()
