"""The one write path for records (the API, the control API and the page all use it) and what follows a
write: events, invoice totals and statuses recomputed from lines and payments, and rendering with includes.
Money is a Decimal inside and `{"amount": "10.00", "code": "USD"}` (a string amount) on the wire.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from connections.providers.freshbooks.emulator.shared import Kind
from connections.sandbox import HttpError

CENT = Decimal("0.01")


def money(amount, code: str) -> dict:
    return {"amount": str(Decimal(amount).quantize(CENT, ROUND_HALF_UP)), "code": code}


def decimal(value, field: str) -> Decimal:
    raw = value.get("amount") if isinstance(value, dict) else value
    try:
        return Decimal(str(raw if raw not in (None, "") else "0"))
    except InvalidOperation:
        raise ValueError(f"{field} is not a number.") from None


class RecordState:
    """Creates and updates records, keeps invoices' totals true, renders records for the API."""

    def create(self, account_id: str, kind: str, fields: dict, identity_id=None) -> dict:
        account = self.account(account_id)
        builder = getattr(self, f"build_{kind}")
        try:
            record = builder(account, self.next_id(kind), fields)
        except ValueError as error:
            raise HttpError(self.accounting_error(422, 2001, str(error), obj=kind)) from None
        account[kind][record["id"]] = record
        self.emit(account_id, f"{kind}.create", record["id"], identity_id)
        if kind == "payment":
            self.payment_changed(account_id, record["invoiceid"], identity_id)
        return record

    def update(self, account_id: str, kind: str, object_id: int, fields: dict, identity_id=None) -> dict:
        account = self.account(account_id)
        record = account[kind][object_id]
        before = record.get("vis_state", 0)
        try:
            getattr(self, f"apply_{kind}")(account, record, fields)
        except ValueError as error:
            raise HttpError(self.accounting_error(422, 2001, str(error), obj=kind)) from None
        if "updated" in record:  # accounting records; a project keeps its own `updated_at`
            record["updated"] = self.eastern_now()
        deleted = record.get("vis_state", 0) == 1 and before != 1
        self.emit(account_id, f"{kind}.{'delete' if deleted else 'update'}", object_id, identity_id)
        if kind == "payment":
            self.payment_changed(account_id, record["invoiceid"], identity_id)
        return record

    def payment_changed(self, account_id, invoice_id, identity_id):
        account = self.account(account_id)
        invoice = account["invoice"].get(invoice_id)
        if invoice is None:
            return
        self.recompute_invoice(account, invoice)
        invoice["updated"] = self.eastern_now()
        if self.config["payment_updates_invoice_event"]:
            self.emit(account_id, "invoice.update", invoice_id, identity_id)

    def recompute_invoice(self, account, invoice):
        """Totals from lines (discount, then line taxes as percentages) and from the live payments."""
        code = invoice["currency_code"]
        rate = decimal(invoice["discount_value"], "discount_value") / 100
        subtotal = sum((decimal(line["amount"], "amount") for line in invoice["lines"]), Decimal(0))
        taxes = Decimal(0)
        for line in invoice["lines"]:
            discounted = decimal(line["amount"], "amount") * (1 - rate)
            for n in (1, 2):
                taxes += discounted * decimal(line[f"taxAmount{n}"], "taxAmount") / 100
        discount = -(subtotal * rate)
        total = (subtotal + discount + taxes).quantize(CENT, ROUND_HALF_UP)
        payments = [p for p in account["payment"].values() if p["invoiceid"] == invoice["id"] and p["vis_state"] != 1]
        paid = sum((decimal(p["amount"], "amount") for p in payments), Decimal(0))
        invoice["amount"] = money(total, code)
        invoice["discount_total"] = money(discount, code)
        invoice["discount"] = {
            "amount": money(discount if self.config["discount_amount_negative"] else -discount, code),
            "rate": invoice["discount_value"],
            "type": "percent",
        }
        invoice["paid"] = money(paid, code)
        invoice["net_paid_amount"] = money(paid, code)
        invoice["outstanding"] = money(max(total - paid, Decimal(0)), code)
        if invoice["deposit_amount"] is not None:
            invoice["deposit_amount"]["code"] = code
        fully_paid = bool(paid) and paid >= total
        last_payment = max((p["date"] for p in payments), default=None)
        invoice["date_paid"] = last_payment if fully_paid or self.config["date_paid_while_partial"] else None
        sent = invoice["status"] != 1 or bool(payments)
        if fully_paid:
            invoice.update(status=4, v3_status="paid", payment_status="paid", display_status="sent")
        elif paid:
            invoice.update(status=8, v3_status="partial", payment_status="partial", display_status="sent")
        else:
            invoice.update(
                status=2 if sent else 1,
                v3_status="sent" if sent else "draft",
                payment_status="unpaid",
                display_status="sent" if sent else "draft",
            )
        if sent and invoice["fulfillment_date"] is None:  # null while a draft
            when_sent = self.config["fulfillment_date_when_sent"]
            invoice["fulfillment_date"] = invoice["create_date"] if when_sent == "create_date" else self.eastern_today()
        invoice["version"] = self.eastern_version()

    def render(self, account_id, kind: Kind, record: dict, includes) -> dict:
        """A record as the API shows it: `lines`, `presentation` and balances only when included."""
        data = {k: v for k, v in record.items() if k != "lines"}
        includes = set(includes or ())
        if kind.name == "invoice":
            if "lines" in includes:
                data["lines"] = record["lines"]
            if "presentation" in includes:
                data["presentation"] = self.presentation(record)
        if kind.name == "client":
            invoices = [
                i
                for i in self.account(account_id)["invoice"].values()
                if i["customerid"] == record["id"] and i["vis_state"] != 1
            ]
            if "outstanding_balance" in includes:
                data["outstanding_balance"] = self.balances(invoices, "outstanding")
            if "grand_total_balance" in includes:
                data["grand_total_balance"] = self.balances(invoices, "amount")
        return json.loads(json.dumps(data))  # a copy: callers never hold the emulator's own dicts

    def balances(self, invoices, field) -> list[dict]:
        totals: dict[str, Decimal] = {}
        for invoice in invoices:
            value = decimal(invoice[field], field)
            if value:
                code = invoice[field]["code"]
                totals[code] = totals.get(code, Decimal(0)) + value
        return [{"amount": money(total, code)} for code, total in sorted(totals.items())]

    def presentation(self, invoice) -> dict:
        return {
            "date_format": "mm/dd/yyyy",
            "description_heading": None,
            "hours_heading": None,
            "image_banner_position_y": 0,
            # The sandbox businesses have a logo and a banner; without them FreshBooks would send null.
            "image_banner_src": "/uploads/images/sandbox_banner",
            "image_logo_src": "/uploads/images/sandbox_logo",
            "invoiceid": invoice["id"],
            "item_heading": None,
            "label": None,
            "quantity_heading": None,
            "rate_heading": None,
            "task_heading": None,
            "theme_font_name": "modern",
            "theme_layout": "simple",
            "theme_primary_color": "#0063c1",
            "time_entry_notes_heading": None,
            "unit_cost_heading": None,
        }
