"""FreshBooks <-> Zendesk: billing context where support agents work (seed 000, issue 8).

What moves, by the source record a job is about:

    invoice, payment   FreshBooks invoice.create/update, payment.create (webhook or polling). The client's
                       Zendesk organization gets a billing summary (last three invoices, total outstanding, last
                       payment) in a managed section of its `notes` and in three custom fields, and each of its
                       open tickets gets an internal note for this invoice version, once.
    expense            The same for an expense of a client (category, amount, date, vendor); an expense without
                       a client is skipped, with the reason in the audit log.
    client             Name, e-mail and address go to the linked organization (name, and a managed section of
                       `details`). A rename that collides with another organization opens a review item.
    organization       Zendesk organization.created: checked against FreshBooks clients; a likely duplicate
                       opens a "possible duplicate" review item with both records.
    ticket             Zendesk ticket.created by a requester whose organization is linked: an internal note with
                       the billing summary, so the agent sees it when opening the ticket.

Matching: a client's organization is its RecordLink (client -> organization), else `review.match_or_review`
(exact, then fuzzy, else a person decides). Jobs of the client's invoices, payments and expenses that wait for
that decision are released when the link appears (`release_waiting_jobs`).

Idempotency, since one event may need several writes, each is idempotent on its own:
- the organization's summary: a RecordLink (client -> "section:<name>") holds the fingerprint of what was last
  written there; an unchanged summary costs no call, a changed one replaces the section, never appends;
- ticket notes: every note ends with a marker (source record and version, the version being a digest of what
  the note says) and a RecordLink (source -> "note:<ticket id>") records it, written as "pending" before the
  call and completed after it; only an uncertain earlier attempt (pending) reads the ticket's comments to
  look for the marker before posting again;
- one job at a time writes to one organization (a short cache lock), so a payment's job and its invoice's job
  never post the same note twice.

API calls per invoice event (client linked, custom fields known, summary changed, N open tickets):
FreshBooks 3 (the invoice with lines, the client's invoices, the client's payments; a payment event adds the
payment itself), Zendesk 3 + N (read the organization, write it once with section and fields, list its
tickets, one note per open ticket). The first event of an unlinked client adds one FreshBooks call (the client,
for matching, which reads the local mirror and calls nothing); the first event on a Zendesk account adds one
call to list custom fields (and one create per missing field), then cached for a day. A replay or duplicate of
an unchanged invoice costs the 3 FreshBooks reads and nothing on Zendesk.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_save
from django.utils import timezone

from connections.providers.errors import Invalid, RateLimited, Retryable
from connections.providers.freshbooks import client as freshbooks
from connections.providers.zendesk import client as zendesk
from syncs.flows.base import Flow, Mapped, NeedsReview, Skip, SourceRef
from syncs.matching import DEFAULT_THRESHOLDS
from syncs.models import RecordLink, SyncJob

SLUG = "freshbooks_zendesk"
EASTERN = ZoneInfo("America/New_York")

# What an integration does unless its options say otherwise (the integration page edits `options`).
DEFAULT_OPTIONS = {
    "invoices": True,  # invoice and payment events: summary, fields and ticket notes
    "expenses": True,
    "clients": True,  # client name, e-mail and address to the organization
    "duplicates": True,  # new Zendesk organizations checked against FreshBooks clients
    "tickets": True,  # ticket.created gets the billing summary
    "ticket_notes": True,  # invoice and expense notes on the organization's open tickets
    "include_drafts": False,  # draft invoices were never sent: agents should not quote them
    "recent_invoices": 3,
    "summary_field": "notes",  # where the billing section lives: "notes" or "details"
    "auto_link": DEFAULT_THRESHOLDS.auto_link,  # matching thresholds, read by syncs.review
    "review": DEFAULT_THRESHOLDS.review,
}

# How the integration page shows and edits them: (option, label, kind, choices). `auto_link` and `review` are
# the matching thresholds `syncs.review` reads from the same options.
OPTION_FIELDS = (
    ("invoices", "Invoices and payments: billing summary, custom fields and ticket notes", "bool", ()),
    ("expenses", "Expenses of a client: summary section and ticket notes", "bool", ()),
    ("clients", "Client name, e-mail and address to the organization", "bool", ()),
    ("duplicates", "Check new Zendesk organizations against FreshBooks clients", "bool", ()),
    ("tickets", "New tickets get the billing summary as an internal note", "bool", ()),
    ("ticket_notes", "Invoice and expense notes on the organization's open tickets", "bool", ()),
    ("include_drafts", "Count draft invoices (never sent to the customer)", "bool", ()),
    ("recent_invoices", "Invoices listed in the summary", "int", ()),
    ("summary_field", "Organization field that holds the summary", "choice", ("notes", "details")),
    ("auto_link", "Link automatically from this fuzzy score (0-100)", "float", ()),
    ("review", "Ask a person from this fuzzy score (0-100)", "float", ()),
)

# The organization custom fields the integration keeps, created on Zendesk when missing.
CUSTOM_FIELDS = (
    ("freshbooks_outstanding", "decimal", "Outstanding balance (FreshBooks)"),
    ("freshbooks_next_due", "date", "Next invoice due (FreshBooks)"),
    ("freshbooks_payment_status", "text", "Payment status (FreshBooks)"),
)
FIELDS_CACHE_SECONDS = 24 * 3600

SECTION_TITLES = {"billing": "FreshBooks billing", "expenses": "FreshBooks expenses", "contact": "FreshBooks contact"}


def options(ctx) -> dict:
    return {**DEFAULT_OPTIONS, **(ctx.options or {})}


def preview(chosen: dict | None = None) -> dict:
    """What the integration writes, on made-up data, for the integration page's note format preview."""
    opts = {**DEFAULT_OPTIONS, **(chosen or {})}
    day = today()

    def invoice(n, cost, paid, age):
        created = date.fromordinal(day.toordinal() - age)
        due = date.fromordinal(created.toordinal() + 30).isoformat()
        outstanding = Decimal(cost) - Decimal(paid)
        status = "paid" if not outstanding else ("partial" if Decimal(paid) else "sent")
        return {
            "id": 2000000 + n,
            "invoice_number": f"{n:07d}",
            "create_date": created.isoformat(),
            "due_date": due,
            "amount": {"amount": cost, "code": "USD"},
            "outstanding": {"amount": str(outstanding), "code": "USD"},
            "v3_status": status,
            "payment_status": status if status != "sent" else "unpaid",
            "vis_state": 0,
            "lines": [{"name": "Support plan", "qty": "1", "unit_cost": {"amount": cost, "code": "USD"}}],
        }

    invoices = [invoice(1, "1200.00", "1200.00", 60), invoice(2, "450.00", "0", 20), invoice(3, "300.00", "0", 2)]
    payments = [{"id": 1, "date": invoices[0]["create_date"], "amount": {"amount": "1200.00", "code": "USD"}}]
    summary = billing_summary(
        invoices, payments, recent=int(opts["recent_invoices"]), include_drafts=bool(opts["include_drafts"])
    )
    _version, note = invoice_note(invoices[2], "Acme Corp", summary)
    return {
        f"Organization {opts['summary_field']}": section_text("billing", summary_lines(summary)),
        "Organization fields": json.dumps(summary_fields(summary), indent=1),
        "Internal note on open tickets, per invoice version": note,
        "Internal note on a new ticket": "\n".join(
            ["FreshBooks billing for this customer", *summary_lines(summary), marker("client", 100001, "ticket-7")]
        ),
    }


# Formatting: money, dates, statuses -------------------------------------------------------------------


def amount(money: dict | None) -> Decimal:
    return Decimal(str((money or {}).get("amount") or "0"))


def show_money(value: Decimal, code: str) -> str:
    return f"{code} {value:,.2f}"


def show_amount(money: dict | None) -> str:
    return show_money(amount(money), (money or {}).get("code") or "")


def today() -> date:
    return timezone.now().astimezone(EASTERN).date()


def invoice_status(invoice: dict) -> str:
    """FreshBooks' own words for the status (`v3_status`), read and never written; "overdue" when it is."""
    status = invoice.get("v3_status") or invoice.get("payment_status") or str(invoice.get("status", ""))
    if amount(invoice.get("outstanding")) > 0 and invoice.get("due_date") and invoice["due_date"] < str(today()):
        return f"{status}, overdue"
    return status


def client_name(client: dict) -> str:
    person = f"{client.get('fname', '')} {client.get('lname', '')}".strip()
    return client.get("organization") or person or client.get("email") or f"Client {client.get('id')}"


def digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def marker(source_type: str, source_id, version: str) -> str:
    return f"[ml-connector freshbooks:{source_type}:{source_id} v{version}]"


# The billing summary ---------------------------------------------------------------------------------


def billing_summary(invoices: list[dict], payments: list[dict], *, recent: int, include_drafts: bool) -> dict:
    """What support needs from a client's invoices and payments: plain data, shared by the section, the
    custom fields and the ticket notes."""
    counted = [i for i in invoices if i.get("vis_state", 0) == 0 and (include_drafts or i.get("v3_status") != "draft")]
    counted.sort(key=lambda i: (i.get("create_date") or "", i["id"]), reverse=True)
    totals: dict[str, Decimal] = {}
    for invoice in counted:
        code = (invoice.get("outstanding") or {}).get("code") or invoice.get("currency_code") or ""
        totals[code] = totals.get(code, Decimal(0)) + amount(invoice.get("outstanding"))
    due = sorted(i["due_date"] for i in counted if amount(i.get("outstanding")) > 0 and i.get("due_date"))
    overdue = bool(due) and due[0] < str(today())
    live_payments = [p for p in payments if p.get("vis_state", 0) == 0]
    live_payments.sort(key=lambda p: (p.get("date") or "", p["id"]), reverse=True)
    outstanding = sum(totals.values(), Decimal(0))
    if not counted:
        status = "no invoices"
    elif outstanding == 0:
        status = "paid"
    elif overdue:
        status = "overdue"
    elif any(i.get("payment_status") == "partial" for i in counted if amount(i.get("outstanding")) > 0):
        status = "partially paid"
    else:
        status = "unpaid"
    main_code = (counted[0].get("currency_code") if counted else "") or next(iter(totals), "")
    return {
        "recent": [
            {
                "number": i.get("invoice_number"),
                "amount": show_amount(i.get("amount")),
                "due_date": i.get("due_date"),
                "status": invoice_status(i),
                "outstanding": show_amount(i.get("outstanding")),
            }
            for i in counted[:recent]
        ],
        "outstanding": " + ".join(show_money(v, k) for k, v in sorted(totals.items()) if v) or show_money(0, main_code),
        "outstanding_value": str(totals.get(main_code, Decimal(0))),
        "next_due": due[0] if due else None,
        "payment_status": status,
        "last_payment": (
            {
                "amount": show_amount(live_payments[0].get("amount")),
                "date": live_payments[0].get("date"),
                "type": live_payments[0].get("type") or "",
            }
            if live_payments
            else None
        ),
    }


def summary_lines(summary: dict) -> list[str]:
    lines = [
        f"Outstanding balance: {summary['outstanding']} · Payment status: {summary['payment_status']}"
        + (f" · Next due: {summary['next_due']}" if summary["next_due"] else "")
    ]
    payment = summary["last_payment"]
    lines.append(
        f"Last payment: {payment['amount']} on {payment['date']}" + (f" ({payment['type']})" if payment["type"] else "")
        if payment
        else "Last payment: none yet"
    )
    if summary["recent"]:
        lines.append(f"Last {len(summary['recent'])} invoice(s):")
        lines += [
            f"• {i['number']}: {i['amount']}, due {i['due_date']}, {i['status']}, outstanding {i['outstanding']}"
            for i in summary["recent"]
        ]
    return lines


def summary_fields(summary: dict) -> dict:
    return {
        "freshbooks_outstanding": summary["outstanding_value"],
        "freshbooks_next_due": summary["next_due"],
        "freshbooks_payment_status": summary["payment_status"],
    }


def invoice_note(invoice: dict, name: str, summary: dict) -> tuple[str, str]:
    """(version, body) of the ticket note for this invoice; the version is a digest of what the note says."""
    facts = {
        "number": invoice.get("invoice_number"),
        "amount": show_amount(invoice.get("amount")),
        "due_date": invoice.get("due_date"),
        "status": invoice.get("v3_status") or invoice.get("payment_status"),
        "outstanding": show_amount(invoice.get("outstanding")),
    }
    version = digest(invoice["id"], facts)
    items = ", ".join(
        f"{line.get('name') or line.get('description') or 'item'} "
        f"({line.get('qty')} at {show_amount(line.get('unit_cost'))})"
        for line in (invoice.get("lines") or [])[:5]
    )
    body = [
        f"FreshBooks invoice {facts['number']} for {name}",
        f"Amount: {facts['amount']} · Due: {facts['due_date']} · Status: {invoice_status(invoice)} · "
        f"Outstanding: {facts['outstanding']}",
    ]
    if items:
        body.append(f"Lines: {items}")
    body.append(f"Client balance: {summary['outstanding']} outstanding ({summary['payment_status']}).")
    body.append(marker("invoice", invoice["id"], version))
    return version, "\n".join(body)


def expense_line(expense: dict) -> str:
    category = (expense.get("category") or {}).get("category") if isinstance(expense.get("category"), dict) else None
    category = category or f"category #{expense.get('categoryid')}"
    vendor = expense.get("vendor") or "no vendor"
    return f"{expense.get('date')}: {show_amount(expense.get('amount'))}, {category}, {vendor}"


# Managed sections of free text ----------------------------------------------------------------------------


def section_text(name: str, lines: list[str]) -> str:
    title = SECTION_TITLES[name]
    return "\n".join(
        [
            f"=== {title} (kept up to date by ml-connector; edits inside are replaced) ===",
            *lines,
            f"=== end of {title} ===",
        ]
    )


def with_section(text: str | None, name: str, section: str) -> str:
    """`text` with the managed section `name` replaced by `section` (appended when absent); the rest is kept."""
    title = re.escape(SECTION_TITLES[name])
    pattern = re.compile(rf"=== {title} \(.*?=== end of {title} ===", re.S)
    text = text or ""
    if pattern.search(text):
        return pattern.sub(lambda _m: section, text, count=1)
    return f"{text.rstrip()}\n\n{section}" if text.strip() else section


# Links and locks ----------------------------------------------------------------------------------------


def link_of(ctx, source_type: str, source_id, target_type: str) -> RecordLink | None:
    return RecordLink.objects.filter(
        integration=ctx.integration, source_type=source_type, source_id=str(source_id), target_type=target_type
    ).first()


def save_link(ctx, source_type: str, source_id, target_type: str, target_id, fingerprint: str, method="created"):
    RecordLink.objects.update_or_create(
        integration=ctx.integration,
        source_type=source_type,
        source_id=str(source_id),
        target_type=target_type,
        defaults={
            "tenant": ctx.integration.tenant,
            "target_id": str(target_id),
            "fingerprint": fingerprint,
            "method": method,
        },
    )


def client_of_organization(ctx, org_id) -> str | None:
    found = RecordLink.objects.filter(
        integration=ctx.integration, source_type="client", target_type="organization", target_id=str(org_id)
    ).first()
    return found.source_id if found else None


class OrganizationLock:
    """One job at a time writes to an organization (its summary and its tickets' notes)."""

    def __init__(self, ctx, org_id):
        self.key = f"fbzd-lock:{ctx.integration.pk}:{org_id}"
        self.token = uuid.uuid4().hex
        self.org_id = org_id

    def __enter__(self):
        if not cache.add(self.key, self.token, timeout=settings.SYNC_LEASE_SECONDS):
            raise Retryable(f"Another job is writing to organization {self.org_id}; trying again shortly.")
        return self

    def __exit__(self, *exc):
        if cache.get(self.key) == self.token:
            cache.delete(self.key)


# The flow -----------------------------------------------------------------------------------------------


class FreshBooksZendesk(Flow):
    slug = SLUG
    name = "FreshBooks -> Zendesk: billing context for support"
    source_provider = "freshbooks"
    target_provider = "zendesk"
    listens_to = frozenset(
        {
            "invoice.create",
            "invoice.update",
            "payment.create",
            "payment.update",
            "expense.create",
            "expense.update",
            "client.create",
            "client.update",
        }
    )
    target_listens_to = frozenset({"organization.created", "ticket.created"})
    polled_types = ("client", "invoice", "payment", "expense")
    default_options = DEFAULT_OPTIONS
    option_fields = OPTION_FIELDS

    def preview(self, chosen: dict | None = None) -> dict:
        return preview(chosen)

    # Fetch: the full, current records, from the system each one lives on ------------------------------

    def fetch(self, ctx, ref: SourceRef) -> dict | None:
        return getattr(self, f"fetch_{ref.type}")(ctx, ref.id)

    def fetch_invoice(self, ctx, invoice_id, payment=None) -> dict | None:
        invoice = freshbooks.get_invoice(ctx.source, invoice_id, integration=ctx.integration)
        if invoice is None:
            return None
        return {"kind": "invoice", "invoice": invoice, "payment": payment, **self.billing(ctx, invoice["customerid"])}

    def fetch_payment(self, ctx, payment_id) -> dict | None:
        payment = freshbooks.get_record(ctx.source, "payment", payment_id, integration=ctx.integration)
        if payment is None:
            return None
        record = self.fetch_invoice(ctx, payment["invoiceid"], payment)
        return record and {**record, "kind": "payment"}

    def fetch_expense(self, ctx, expense_id) -> dict | None:
        expense = freshbooks.get_record(ctx.source, "expense", expense_id, integration=ctx.integration)
        if expense is None:
            return None
        record = {"kind": "expense", "expense": expense, "client_id": str(expense.get("clientid") or "")}
        if record["client_id"] and record["client_id"] != "0":
            search = {"clientid": record["client_id"]}
            expenses, _ = freshbooks.list_records(ctx.source, "expense", search=search, integration=ctx.integration)
            record["expenses"] = expenses
        return record

    def fetch_client(self, ctx, client_id) -> dict | None:
        client = freshbooks.get_record(ctx.source, "client", client_id, integration=ctx.integration)
        return client and {"kind": "client", "client": client, "client_id": str(client["id"])}

    def fetch_organization(self, ctx, org_id) -> dict | None:
        org = zendesk.get_organization(ctx.target, org_id, integration=ctx.integration)
        return org and {"kind": "organization", "organization": org}

    def fetch_ticket(self, ctx, ticket_id) -> dict | None:
        """The ticket, its organization (the requester's when the ticket names none) and, when that
        organization is linked to a client, the client's billing."""
        ticket = zendesk.get_ticket(ctx.target, ticket_id, integration=ctx.integration)
        if ticket is None:
            return None
        org_id = ticket.get("organization_id")
        if not org_id and ticket.get("requester_id"):
            requester = zendesk.get_user(ctx.target, ticket["requester_id"], integration=ctx.integration) or {}
            org_id = requester.get("organization_id")
        record = {"kind": "ticket", "ticket": ticket, "organization_id": org_id and str(org_id)}
        client_id = client_of_organization(ctx, org_id) if org_id else None
        if client_id:
            record.update(self.billing(ctx, client_id))
        return record

    def billing(self, ctx, client_id) -> dict:
        """The client's invoices and payments: two list calls, whatever the number of invoices up to 100."""
        search_invoices, search_payments = {"customerid": client_id}, {"clientid": client_id}
        invoices, _ = freshbooks.list_records(
            ctx.source, "invoice", search=search_invoices, integration=ctx.integration
        )
        payments, _ = freshbooks.list_records(
            ctx.source, "payment", search=search_payments, integration=ctx.integration
        )
        return {"client_id": str(client_id), "invoices": invoices, "payments": payments}

    # Map: what each record means on Zendesk (no calls; Skip when there is nothing to write) -------------

    def map(self, ctx, record: dict) -> Mapped:
        return getattr(self, f"map_{record['kind']}")(ctx, record)

    def summary_of(self, ctx, record) -> dict:
        opts = options(ctx)
        return billing_summary(
            record["invoices"],
            record["payments"],
            recent=int(opts["recent_invoices"]),
            include_drafts=bool(opts["include_drafts"]),
        )

    def map_invoice(self, ctx, record) -> Mapped:
        opts = options(ctx)
        if not opts["invoices"]:
            raise Skip("Invoices are switched off for this integration.")
        invoice = record["invoice"]
        summary = self.summary_of(ctx, record)
        name = invoice.get("current_organization") or invoice.get("organization") or f"client {invoice['customerid']}"
        note = None
        countable = invoice.get("vis_state", 0) == 0 and (opts["include_drafts"] or invoice.get("v3_status") != "draft")
        if countable and opts["ticket_notes"]:
            version, body = invoice_note(invoice, name, summary)
            note = {"source": ["invoice", str(invoice["id"])], "version": version, "body": body}
        payload = {
            "client_id": record["client_id"],
            "section": {
                "field": opts["summary_field"],
                "name": "billing",
                "text": section_text("billing", summary_lines(summary)),
            },
            "fields": summary_fields(summary),
            "note": note,
        }
        return Mapped(
            "organization",
            payload,
            summary=f"Invoice {invoice.get('invoice_number')} of {name}: outstanding {summary['outstanding']}, "
            f"{summary['payment_status']}",
        )

    map_payment = map_invoice

    def map_expense(self, ctx, record) -> Mapped:
        opts = options(ctx)
        expense = record["expense"]
        if not opts["expenses"]:
            raise Skip("Expenses are switched off for this integration.")
        if not record["client_id"] or record["client_id"] == "0":
            raise Skip(
                f"Expense {expense['id']} ({expense_line(expense)}) has no client; nothing is posted to Zendesk."
            )
        recent = sorted(
            (e for e in record["expenses"] if e.get("vis_state", 0) == 0),
            key=lambda e: (e.get("date") or "", e["id"]),
            reverse=True,
        )[: int(opts["recent_invoices"])]
        version = digest(expense["id"], expense_line(expense))
        note = None
        if expense.get("vis_state", 0) == 0 and opts["ticket_notes"]:
            body = "\n".join(
                [
                    f"FreshBooks expense for this customer: {expense_line(expense)}",
                    marker("expense", expense["id"], version),
                ]
            )
            note = {"source": ["expense", str(expense["id"])], "version": version, "body": body}
        lines = [f"• {expense_line(e)}" for e in recent] or ["No expenses."]
        payload = {
            "client_id": record["client_id"],
            "section": {"field": opts["summary_field"], "name": "expenses", "text": section_text("expenses", lines)},
            "fields": {},
            "note": note,
        }
        return Mapped("organization", payload, summary=f"Expense {expense['id']}: {expense_line(expense)}")

    def map_client(self, ctx, record) -> Mapped:
        if not options(ctx)["clients"]:
            raise Skip("Client updates are switched off for this integration.")
        client = record["client"]
        address = ", ".join(
            part
            for part in (client.get(f"p_{key}") for key in ("street", "street2", "city", "province", "code", "country"))
            if part
        )
        lines = [f"Email: {client.get('email') or 'none'}", f"Address: {address or 'none'}"]
        payload = {
            "client_id": record["client_id"],
            "name": client_name(client),
            "section": {"field": "details", "name": "contact", "text": section_text("contact", lines)},
            "fields": {},
            "note": None,
        }
        return Mapped("organization", payload, summary=f"Client {client_name(client)} -> organization")

    def map_organization(self, ctx, record) -> Mapped:
        """A new Zendesk organization that looks like an existing FreshBooks client opens a review item."""
        from syncs import review

        org = record["organization"]
        if not options(ctx)["duplicates"]:
            raise Skip("The duplicate check is switched off for this integration.")
        if client_of_organization(ctx, org["id"]):
            raise Skip(f"Organization {org['name']!r} is already linked to a FreshBooks client.")
        item = review.possible_duplicate(
            ctx,
            record_id=str(org["id"]),
            name=org["name"],
            external_id=org.get("external_id"),
            candidates=self.client_candidates(ctx),
            summary={"details": org.get("details") or "", "domains": org.get("domain_names") or []},
        )
        if item is None:
            raise Skip(f"No FreshBooks client looks like the new organization {org['name']!r}.")
        ctx.record(
            "match.possible_duplicate",
            f"The new Zendesk organization {org['name']!r} looks like an existing FreshBooks client; "
            "flagged for review.",
            "warning",
            {"review_item": str(item.uuid), "candidates": item.candidates[:3]},
            target_ref=f"organization:{org['id']}",
        )
        raise Skip(f"Organization {org['name']!r} may duplicate a FreshBooks client: a review item is open.")

    def client_candidates(self, ctx):
        """FreshBooks clients to compare with: the mirror when there is one, else a paged read (100 a call)."""
        from syncs.models import RemoteRecord

        if RemoteRecord.objects.filter(connection=ctx.source, record_type="client").exists():
            return None
        candidates, page, more = [], 1, True
        while more:
            clients, more = freshbooks.list_records(ctx.source, "client", page=page, integration=ctx.integration)
            candidates += [(str(c["id"]), client_name(c), (c.get("email") or "",), None) for c in clients]
            page += 1
        return candidates

    def map_ticket(self, ctx, record) -> Mapped:
        ticket = record["ticket"]
        if not options(ctx)["tickets"]:
            raise Skip("Ticket notes are switched off for this integration.")
        if not record["organization_id"]:
            raise Skip(f"Ticket {ticket['id']} has no organization; no billing to show.")
        if "invoices" not in record:
            raise Skip(f"Ticket {ticket['id']}: organization {record['organization_id']} is not linked to a client.")
        summary = self.summary_of(ctx, record)
        body = "\n".join(
            [
                "FreshBooks billing for this customer",
                *summary_lines(summary),
                marker("client", record["client_id"], f"ticket-{ticket['id']}"),
            ]
        )
        note = {"source": ["ticket", str(ticket["id"])], "version": "summary", "body": body}
        return Mapped(
            "ticket_note",
            {"ticket_id": str(ticket["id"]), "note": note},
            summary=f"Billing summary for ticket {ticket['id']}: {summary['outstanding']}, {summary['payment_status']}",
        )

    # Find the target: the client's link, else matching (or a person) --------------------------------------

    def find_target(self, ctx, record: dict, mapped: Mapped) -> tuple[str | None, str]:
        if mapped.target_type == "ticket_note":
            return mapped.payload["ticket_id"], RecordLink.Method.EXACT
        client_id = mapped.payload["client_id"]
        linked = link_of(ctx, "client", client_id, "organization")
        if linked:
            return linked.target_id, linked.method
        return self.match_client(ctx, record, client_id)

    def match_client(self, ctx, record, client_id) -> tuple[str | None, str]:
        from syncs import review

        client = record.get("client") or freshbooks.get_record(
            ctx.source, "client", client_id, integration=ctx.integration
        )
        if client is None:
            raise Skip(f"FreshBooks client {client_id} no longer exists.")
        try:
            target_id, method = review.match_or_review(
                ctx,
                source_type="client",
                source_id=str(client_id),
                name=client_name(client),
                emails=tuple(e for e in (client.get("email"),) if e),
                summary={"email": client.get("email") or "", "city": client.get("p_city") or ""},
            )
        except NeedsReview:
            if ctx.job is not None and ctx.job.source_type != "client":
                self.wait_for_client(ctx, client_id)
            raise
        if target_id and not (ctx.job and ctx.job.dry_run):
            save_link(ctx, "client", client_id, "organization", target_id, "", method)
            self.warn_if_names_differ(ctx, client_name(client), target_id)
        return target_id, method

    def wait_for_client(self, ctx, client_id) -> None:
        """This job waits for the client's review; a waiting job of the client itself is what the decision
        releases, and its link (or the organization it creates) releases this one (`release_waiting_jobs`)."""
        SyncJob.objects.filter(pk=ctx.job.pk).update(result={"waiting_for": f"client:{client_id}"})
        active = (SyncJob.Status.PENDING, SyncJob.Status.RUNNING, SyncJob.Status.WAITING_REVIEW)
        client_jobs = SyncJob.objects.filter(
            integration=ctx.integration, source_type="client", source_id=str(client_id), status__in=active
        )
        if not client_jobs.exists():
            SyncJob.objects.create(
                tenant=ctx.integration.tenant,
                integration=ctx.integration,
                event=ctx.job.event,
                trigger=SyncJob.Trigger.MANUAL,
                source_type="client",
                source_id=str(client_id),
                status=SyncJob.Status.WAITING_REVIEW,
                last_error_type="NeedsReview",
                last_error_message=f"Waits for a person to decide which organization client {client_id} is.",
            )

    def warn_if_names_differ(self, ctx, name: str, org_id) -> None:
        """'Acme Corp' linked to 'Acme Corporation' is right, but a person may want to know (seed 000)."""
        from syncs.models import RemoteRecord

        mirrored = RemoteRecord.objects.filter(
            connection=ctx.target, record_type="organization", remote_id=str(org_id)
        ).first()
        if mirrored and mirrored.name.casefold() != name.casefold():
            ctx.record(
                "match.names_differ",
                f"FreshBooks client {name!r} is linked to the Zendesk organization {mirrored.name!r}: the names "
                "differ; change the link on the review page if this is wrong.",
                "warning",
                target_ref=f"organization:{org_id}",
            )

    # Write: each part idempotent on its own ----------------------------------------------------------------

    def write(self, ctx, mapped: Mapped, target_id: str | None) -> str:
        if mapped.target_type == "ticket_note":
            ticket_id = mapped.payload["ticket_id"]
            self.post_note_once(ctx, ticket_id, mapped.payload["note"])
            return ticket_id
        payload = mapped.payload
        client_id = payload["client_id"]
        linked = link_of(ctx, "client", client_id, "organization")
        if linked and linked.target_id != target_id:
            target_id = linked.target_id  # a person re-linked the client since this record was written
        if target_id is None:
            target_id = self.create_organization(ctx, client_id, payload.get("name"))
        with OrganizationLock(ctx, target_id):
            self.write_organization(ctx, target_id, payload)
            if payload["note"]:
                for ticket in zendesk.open_tickets_of_organization(ctx.target, target_id, integration=ctx.integration):
                    self.post_note_once(ctx, ticket["id"], payload["note"])
        return target_id

    def create_organization(self, ctx, client_id, name: str | None) -> str:
        """A person chose "create new" for this client: one organization, whichever of its jobs gets here first."""
        with OrganizationLock(ctx, f"client-{client_id}"):
            linked = link_of(ctx, "client", client_id, "organization")
            if linked:
                return linked.target_id
            if not name:
                client = freshbooks.get_record(ctx.source, "client", client_id, integration=ctx.integration) or {}
                name = client_name(client) if client else f"FreshBooks client {client_id}"
            fields = {"name": name, "external_id": f"freshbooks:client:{client_id}"}
            created = zendesk.create_or_update_organization(ctx.target, fields, integration=ctx.integration)
            save_link(ctx, "client", client_id, "organization", created["id"], "", RecordLink.Method.CREATED)
            return str(created["id"])

    def write_organization(self, ctx, org_id: str, payload: dict) -> None:
        """Replace the managed section, set the custom fields and (for a client) the name, in one PUT, unless
        the section's fingerprint says Zendesk already holds exactly this."""
        section = payload["section"]
        fields = payload["fields"]
        wanted_name = payload.get("name")
        fingerprint = digest(org_id, section, fields, wanted_name)
        kept = link_of(ctx, "client", payload["client_id"], f"section:{section['name']}")
        if kept and kept.target_id == str(org_id) and kept.fingerprint == fingerprint:
            return
        if fields:
            self.ensure_custom_fields(ctx)
        org = zendesk.get_organization(ctx.target, org_id, integration=ctx.integration)
        if org is None:
            raise Invalid(f"Zendesk organization {org_id} no longer exists; link the client again.", provider="zendesk")
        changes = {}
        text = with_section(org.get(section["field"]), section["name"], section["text"])
        if text != (org.get(section["field"]) or ""):
            changes[section["field"]] = text
        current = org.get("organization_fields") or {}
        changed_fields = {k: v for k, v in fields.items() if not same_value(current.get(k), v)}
        if changed_fields:
            changes["organization_fields"] = changed_fields
        seen_name = link_of(ctx, "client", payload["client_id"], "client_name")
        if wanted_name and seen_name and seen_name.fingerprint != digest(wanted_name) and wanted_name != org["name"]:
            changes["name"] = wanted_name  # renamed in FreshBooks since we last looked (a first link renames nothing)
        if changes:
            try:
                zendesk.update_organization(ctx.target, org_id, changes, integration=ctx.integration)
            except Invalid as exc:
                if "name" not in changes or not name_taken(exc):
                    raise
                changes.pop("name")
                if changes:
                    zendesk.update_organization(ctx.target, org_id, changes, integration=ctx.integration)
                self.review_name_collision(ctx, payload["client_id"], org, wanted_name)
        if wanted_name:
            save_link(ctx, "client", payload["client_id"], "client_name", org_id, digest(wanted_name))
        save_link(ctx, "client", payload["client_id"], f"section:{section['name']}", org_id, fingerprint)

    def review_name_collision(self, ctx, client_id, org: dict, wanted_name: str) -> None:
        """A rename Zendesk refuses because another organization has that name: a person decides whether the
        client is that other organization; the rest of the update is written and the job goes on."""
        from syncs import review
        from syncs.matching import Candidate, MatchDecision, MatchKind

        same_name = zendesk.organizations_named(ctx.target, wanted_name, integration=ctx.integration)
        found = [o for o in same_name if str(o["id"]) != str(org["id"])]
        candidates = (
            *(Candidate(str(o["id"]), o["name"], 100.0, ("name",)) for o in found),
            Candidate(str(org["id"]), org["name"], 0.0, ("linked now",), ("name",)),
        )
        item = review.open_item(
            ctx,
            kind="match",
            source_type="client",
            source_id=str(client_id),
            summary={"name": wanted_name, "emails": [], "external_id": "", "linked_to": org["name"]},
            target_type="organization",
            decision=MatchDecision(MatchKind.REVIEW, None, candidates, "rename collides"),
            reason=f"renaming {org['name']!r} to {wanted_name!r} collides with another Zendesk organization",
        )
        ctx.record(
            "match.name_collision",
            f"FreshBooks renamed the client to {wanted_name!r}, which another Zendesk organization already has; "
            f"{org['name']!r} keeps its name until a person decides.",
            "warning",
            {"review_item": str(item.uuid)},
            target_ref=f"organization:{org['id']}",
        )

    def ensure_custom_fields(self, ctx) -> None:
        """The integration's organization fields exist on this Zendesk account (checked once a day)."""
        key = f"fbzd-fields:{ctx.target.uuid}"
        if cache.get(key):
            return
        existing = {f["key"] for f in zendesk.organization_fields(ctx.target, integration=ctx.integration)}
        for field_key, field_type, title in CUSTOM_FIELDS:
            if field_key not in existing:
                zendesk.create_organization_field(ctx.target, field_key, field_type, title, integration=ctx.integration)
                ctx.record("zendesk.field_created", f"Created the organization field {title!r} on Zendesk.")
        cache.set(key, True, timeout=FIELDS_CACHE_SECONDS)

    def post_note_once(self, ctx, ticket_id, note: dict) -> None:
        """An internal note on a ticket, once per source record and version (see the module docstring)."""
        source_type, source_id = note["source"]
        target_type = f"note:{ticket_id}"
        text = marker_of(note["body"])
        done = link_of(ctx, source_type, source_id, target_type)
        if done and done.fingerprint == note["version"]:
            return
        if done and done.fingerprint == f"pending:{note['version']}":
            comments = zendesk.ticket_comments(ctx.target, ticket_id, integration=ctx.integration)
            if any(text in (c.get("body") or "") for c in comments):
                save_link(ctx, source_type, source_id, target_type, ticket_id, note["version"])
                return
        save_link(ctx, source_type, source_id, target_type, ticket_id, f"pending:{note['version']}")
        try:
            zendesk.add_internal_note(ctx.target, ticket_id, note["body"], integration=ctx.integration)
        except Invalid as exc:
            if "closed" not in exc.message.lower():
                raise
            ctx.record("note.skipped", f"Ticket {ticket_id} was closed before the note could be added.")
            save_link(ctx, source_type, source_id, target_type, ticket_id, note["version"])
            return
        except RateLimited:
            # Refused before anything was written; any other failure leaves it uncertain (pending).
            save_link(ctx, source_type, source_id, target_type, ticket_id, "")
            raise
        save_link(ctx, source_type, source_id, target_type, ticket_id, note["version"])
        ctx.record(
            "note.posted",
            f"Internal note on ticket {ticket_id} for {source_type} {source_id}.",
            data={"version": note["version"]},
            target_ref=f"ticket:{ticket_id}",
        )

    # Polling and backfill --------------------------------------------------------------------------------

    def changes(self, ctx, record_type: str, since, page: int) -> tuple[list[dict], bool]:
        return freshbooks.list_records(ctx.source, record_type, since=since, page=page, integration=ctx.integration)


def marker_of(body: str) -> str:
    return body.rsplit("\n", 1)[-1]


def same_value(current, wanted) -> bool:
    if current is None or wanted is None:
        return current == wanted
    try:
        return Decimal(str(current)) == Decimal(str(wanted))
    except ArithmeticError:
        return str(current) == str(wanted)


def name_taken(exc: Invalid) -> bool:
    details = (exc.details or {}).get("details") if isinstance(exc.details, dict) else None
    return any(item.get("error") == "DuplicateValue" for item in ((details or {}).get("name") or []))


FLOW = FreshBooksZendesk()


# Jobs that waited for a client's organization run once the client is linked ----------------------------


def release_waiting_jobs(sender, instance: RecordLink, **kwargs) -> None:
    """A link of a client to an organization (a person's decision, or a match) releases the jobs of that
    client's invoices, payments and expenses that waited for it."""
    if instance.source_type != "client" or instance.target_type != "organization":
        return
    from django.db import transaction

    from syncs.engine import enqueue

    waiting = list(
        SyncJob.objects.filter(
            integration_id=instance.integration_id,
            status=SyncJob.Status.WAITING_REVIEW,
            result__waiting_for=f"client:{instance.source_id}",
        ).values_list("pk", flat=True)
    )
    if not waiting:
        return
    SyncJob.objects.filter(pk__in=waiting, status=SyncJob.Status.WAITING_REVIEW).update(
        status=SyncJob.Status.PENDING, next_attempt_at=timezone.now(), last_error_type="", last_error_message=""
    )
    for pk in waiting:
        transaction.on_commit(lambda pk=pk: enqueue(pk))


post_save.connect(release_waiting_jobs, sender=RecordLink, dispatch_uid="freshbooks_zendesk_release_waiting_jobs")
