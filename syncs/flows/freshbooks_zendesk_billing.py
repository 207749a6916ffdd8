"""What the FreshBooks -> Zendesk flow writes, as text and fields: the billing summary of a client's invoices
and payments (a managed section and three custom fields of its organization), the ticket notes of an invoice
or an expense, and the preview the integration page shows.

Plain functions of plain data (no calls): the flow fetches, this module words it, the Zendesk writer writes it.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from connections.providers.freshbooks.domain import amount, invoice_status, show_amount, show_money, today
from connections.providers.zendesk.organizations import digest, section_text

# The organization custom fields the integration keeps, created on Zendesk when missing.
CUSTOM_FIELDS = (
    ("freshbooks_outstanding", "decimal", "Outstanding balance (FreshBooks)"),
    ("freshbooks_next_due", "date", "Next invoice due (FreshBooks)"),
    ("freshbooks_payment_status", "text", "Payment status (FreshBooks)"),
)

SECTION_TITLES = {"billing": "FreshBooks billing", "expenses": "FreshBooks expenses", "contact": "FreshBooks contact"}


def marker(source_type: str, source_id, version: str) -> str:
    return f"[ml-connector freshbooks:{source_type}:{source_id} v{version}]"


def billing_section(summary: dict) -> str:
    return section_text(SECTION_TITLES["billing"], summary_lines(summary))


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


def ticket_note(summary: dict, client_id, ticket_id) -> str:
    """The note a new ticket gets: the billing summary of the requester's client."""
    return "\n".join(
        [
            "FreshBooks billing for this customer",
            *summary_lines(summary),
            marker("client", client_id, f"ticket-{ticket_id}"),
        ]
    )


def expense_note(expense: dict) -> tuple[str, str]:
    """(version, body) of the ticket note for an expense; the version is a digest of what the note says."""
    version = digest(expense["id"], expense_line(expense))
    body = "\n".join(
        [f"FreshBooks expense for this customer: {expense_line(expense)}", marker("expense", expense["id"], version)]
    )
    return version, body


def expense_line(expense: dict) -> str:
    category = (expense.get("category") or {}).get("category") if isinstance(expense.get("category"), dict) else None
    category = category or f"category #{expense.get('categoryid')}"
    vendor = expense.get("vendor") or "no vendor"
    return f"{expense.get('date')}: {show_amount(expense.get('amount'))}, {category}, {vendor}"


# The preview on the integration page ------------------------------------------------------------------


def preview(opts: dict) -> dict:
    """What the integration writes with the options `opts`, on made-up data, for the integration page."""
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
        f"Organization {opts['summary_field']}": billing_section(summary),
        "Organization fields": json.dumps(summary_fields(summary), indent=1),
        "Internal note on open tickets, per invoice version": note,
        "Internal note on a new ticket": ticket_note(summary, 100001, 7),
    }
