"""What a new client, invoice (with its lines), payment or expense holds, and which fields a write may set.
Field names, types and defaults follow the recorded payloads; `state` calls these on every write.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

from connections.providers.freshbooks.emulator.shared import BUSINESS_ADDRESS
from connections.providers.freshbooks.emulator.state import decimal, money


def stable_uuid(*parts) -> str:
    """A version-4 UUID that depends only on `parts`, so a field added to a record does not draw on the seeded
    random stream that fault dice and invoice uuids already use."""
    return str(uuid.UUID(bytes=hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:16], version=4))


class RecordBuilders:
    """`build_<kind>` makes a record, `apply_<kind>` applies a write's fields to it."""

    def common(self, account: dict) -> dict:
        return {"accounting_systemid": account["business"]["account_id"], "updated": self.eastern_now(), "vis_state": 0}

    def build_client(self, account, object_id, fields) -> dict:
        record = {
            **self.common(account),
            "allow_email_include_pdf": False,
            "allow_late_fees": True,
            "allow_late_notifications": True,
            "bus_phone": "",
            "company_industry": None,
            "company_size": None,
            "currency_code": "USD",
            "direct_link_token": None,
            "email": "",
            "exceeds_client_limit": 0,
            "fax": "",
            "fname": "",
            "has_retainer": None,
            "home_phone": None,  # unset: null, unlike the other phones' "" ([PY] fixture, live responses)
            "id": object_id,
            "language": "en",
            "last_activity": None,
            "last_login": None,
            "level": 0,
            "lname": "",
            "mob_phone": "",
            "note": None,
            "notified": False,
            "num_logins": 0,
            "number_format": None,
            "organization": "",
            "p_city": "",
            "p_code": "",
            "p_country": "",
            "p_province": "",
            "p_street": "",
            "p_street2": "",
            "pref_email": True,
            "pref_gmail": False,
            "retainer_id": None,
            "role": "client",
            "s_city": "",
            "s_code": "",
            "s_country": "",
            "s_province": "",
            "s_street": "",
            "s_street2": "",
            # signup_date looks like UTC in real data, unlike the Eastern `updated`.
            "signup_date": datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "statement_token": None,
            "subdomain": None,
            "userid": object_id,
            "username": None,
            "uuid": stable_uuid("client", account["business"]["account_id"], object_id),
            "vat_name": None,
            "vat_number": None,
        }
        self.apply_client(account, record, fields)
        if not (record["organization"] or record["fname"] or record["lname"] or record["email"]):
            raise ValueError("A client needs an organization, a name or an email.")
        return record

    CLIENT_FIELDS = (  # noqa: SIM905 (a word list reads better than a column of strings)
        "allow_email_include_pdf allow_late_fees allow_late_notifications bus_phone company_industry "
        "company_size currency_code email fax fname home_phone language lname mob_phone note organization "
        "p_city p_code p_country p_province p_street p_street2 pref_email pref_gmail s_city s_code s_country "
        "s_province s_street s_street2 username vat_name vat_number vis_state"
    ).split()

    def apply_client(self, account, record, fields):
        self.copy(record, fields, self.CLIENT_FIELDS)
        if record["username"] is None and record["email"]:
            record["username"] = record["email"].split("@")[0]

    def copy(self, record, fields, allowed):
        for name in allowed:
            if name in fields:
                value = fields[name]
                if name == "vis_state":
                    value = int(value)
                    if value not in (0, 1, 2):
                        raise ValueError("vis_state must be 0 (active), 1 (deleted) or 2 (archived).")
                record[name] = value

    INVOICE_FIELDS = (  # noqa: SIM905 (a word list reads better than a column of strings)
        "address auto_bill city code country currency_code deposit_percentage description "
        "discount_description fname language lname notes organization payment_details po_number province "
        "street street2 template terms vat_name vat_number vis_state"
    ).split()

    def build_invoice(self, account, object_id, fields) -> dict:
        customer = account["client"].get(int(fields.get("customerid") or 0))
        if customer is None:
            raise ValueError("customerid: Client not found.")
        today = self.eastern_today()
        number = len(account["invoice"]) + 1
        record = {
            **self.common(account),
            "accountid": account["business"]["account_id"],
            "address": "",
            "amount": None,
            "attach_pdf_to_email": False,
            "auto_bill": False,
            "autobill_status": None,
            "basecampid": 0,
            "city": customer["p_city"],
            "code": customer["p_code"],
            "country": customer["p_country"],
            "create_date": today,
            "created_at": self.eastern_now(),
            "currency_code": customer["currency_code"],
            "current_organization": customer["organization"],
            "customerid": customer["id"],
            "date_paid": None,
            "deposit_amount": None,
            "deposit_percentage": None,
            "deposit_status": "none",
            "description": "",
            "discount": None,  # {amount, rate, type}, set with the totals
            "discount_description": None,
            "discount_value": "0",
            "display_status": "draft",
            "dispute_status": None,
            "due_offset_days": 0,
            **({"email": customer["email"]} if self.config["invoice_email"] else {}),
            "estimateid": 0,
            "ext_archive": 0,
            "fname": customer["fname"],
            "fulfillment_date": None,  # until it is sent (see recompute_invoice)
            "generation_date": None,
            "gmail": False,
            "id": object_id,
            "invoice_number": f"{number:07d}",
            "invoiceid": object_id,
            "language": customer["language"],
            "last_order_status": None,
            "lines": [],
            "lname": customer["lname"],
            "lock_status": "unlocked",
            "notes": "",
            "organization": customer["organization"],
            "ownerid": 1,
            "parent": 0,
            "payment_details": "",
            "payment_status": "unpaid",
            "po_number": None,
            "province": customer["p_province"],
            "return_uri": None,
            "sender_address": dict(BUSINESS_ADDRESS),
            "sentid": 1,
            "series": "",
            "show_attachments": False,
            "status": 1,
            "street": customer["p_street"],
            "street2": customer["p_street2"],
            "template": "clean-grouped",
            "terms": None,
            "uuid": str(uuid.UUID(int=self.random.getrandbits(128), version=4)),
            "v3_status": "draft",
            "vat_name": self.config["unset_invoice_vat_name"],
            "vat_number": "",
            "version": None,
        }
        self.apply_invoice(account, record, fields)
        return record

    def apply_invoice(self, account, record, fields):
        self.copy(record, fields, self.INVOICE_FIELDS)
        for name in ("create_date", "fulfillment_date"):
            if name in fields:
                record[name] = date.fromisoformat(str(fields[name])).isoformat()
        if "invoice_number" in fields:
            record["invoice_number"] = str(fields["invoice_number"])
        if "due_offset_days" in fields:
            record["due_offset_days"] = int(fields["due_offset_days"])
        if "discount_value" in fields:
            record["discount_value"] = str(decimal(fields["discount_value"], "discount_value"))
        if "deposit_amount" in fields:
            value = fields["deposit_amount"]
            record["deposit_amount"] = (
                None if value is None else money(decimal(value, "deposit_amount"), record["currency_code"])
            )
        if "status" in fields:
            status = int(fields["status"])
            if status not in (1, 2):
                raise ValueError("status: only 1 (draft) and 2 (sent) can be set directly.")
            record["status"] = status
        if "lines" in fields:
            record["lines"] = [self.build_line(record, i + 1, line) for i, line in enumerate(fields["lines"] or [])]
        record["due_date"] = (
            date.fromisoformat(record["create_date"]) + timedelta(days=record["due_offset_days"])
        ).isoformat()
        self.recompute_invoice(account, record)

    def build_line(self, invoice, lineid, line) -> dict:
        code = invoice["currency_code"]
        qty = decimal(line.get("qty", 1), "qty")
        unit_cost = decimal(line.get("unit_cost", 0), "unit_cost")
        return {
            "amount": money(qty * unit_cost, code),
            "basecampid": 0,
            "compounded_tax": bool(line.get("compounded_tax", False)),
            "date": line.get("date"),
            "description": line.get("description", ""),
            "expenseid": int(line.get("expenseid") or 0),
            "invoiceid": invoice["id"],
            "lineid": lineid,
            "modern_project_id": None,
            "modern_time_entries": [],
            "name": line.get("name", ""),
            "qty": format(qty.normalize(), "f"),
            "retainer_id": None,
            "retainer_period_id": None,
            "taskno": lineid,
            "taxAmount1": str(line.get("taxAmount1", "0")),
            "taxAmount2": str(line.get("taxAmount2", "0")),
            "taxName1": line.get("taxName1", ""),
            "taxName2": line.get("taxName2"),
            "taxNumber1": line.get("taxNumber1"),
            "taxNumber2": line.get("taxNumber2"),
            "type": int(line.get("type", 0)),
            "unit_cost": money(unit_cost, code),
            "updated": self.eastern_now(),
        }

    def build_payment(self, account, object_id, fields) -> dict:
        invoice = account["invoice"].get(int(fields.get("invoiceid") or 0))
        if invoice is None:
            raise ValueError("invoiceid: Invoice not found.")
        record = {
            **self.common(account),
            "amount": money(0, invoice["currency_code"]),
            "bulk_paymentid": None,
            "clientid": invoice["customerid"],
            "creditid": None,
            "date": self.eastern_today(),
            "from_credit": False,
            "gateway": None,
            "id": object_id,
            "invoiceid": invoice["id"],
            "logid": object_id,
            "note": "",
            "orderid": None,
            "overpaymentid": None,
            "send_client_notification": None,
            "transaction_uuid": None,
            "transactionid": None,
            "type": "Check",
        }
        self.apply_payment(account, record, fields)
        return record

    def apply_payment(self, account, record, fields):
        self.copy(record, fields, ("note", "type", "send_client_notification", "vis_state"))
        if "amount" in fields:
            record["amount"] = money(decimal(fields["amount"], "amount"), record["amount"]["code"])
        if "date" in fields:
            record["date"] = date.fromisoformat(str(fields["date"])).isoformat()

    def build_expense(self, account, object_id, fields) -> dict:
        record = {
            **self.common(account),
            "account_name": "",
            "accountid": None,
            "amount": money(0, "USD"),
            "attachment": None,
            "background_jobid": None,
            "bank_name": "",
            "bill_matches": [],
            "billable": False,
            "categoryid": 0,
            "clientid": 0,
            "compounded_tax": False,
            "converse_projectid": None,
            "date": self.eastern_today(),
            "expenseid": object_id,
            "ext_accountid": None,
            "ext_invoiceid": 0,
            "ext_systemid": 0,
            "from_bulk_import": False,
            "has_receipt": False,
            "id": object_id,
            "include_receipt": False,
            "invoiceid": None,
            "is_cogs": False,
            "isduplicate": False,
            "markup_percent": "0",
            "modern_projectid": None,
            "notes": "",
            "potential_bill_payment": False,
            "profileid": None,
            "projectid": 0,
            "staffid": 1,
            "status": 0,
            "taxAmount1": None,
            "taxAmount2": None,
            "taxName1": None,
            "taxName2": None,
            "taxPercent1": None,
            "taxPercent2": None,
            "transactionid": None,
            "vendor": "",
        }
        self.apply_expense(account, record, fields)
        return record

    EXPENSE_FIELDS = (  # noqa: SIM905 (a word list reads better than a column of strings)
        "bank_name billable categoryid compounded_tax notes profileid projectid staffid status taxName1 "
        "taxName2 taxPercent1 taxPercent2 vendor vis_state is_cogs include_receipt markup_percent"
    ).split()

    def apply_expense(self, account, record, fields):
        self.copy(record, fields, self.EXPENSE_FIELDS)
        if "clientid" in fields:
            clientid = int(fields["clientid"] or 0)
            if clientid and clientid not in account["client"]:
                raise ValueError("clientid: Client not found.")
            record["clientid"] = clientid
        amount = fields.get("amount")
        code = (
            fields.get("currency_code")
            or (amount.get("code") if isinstance(amount, dict) else None)
            or record["amount"]["code"]
        )
        if "amount" in fields:
            record["amount"] = money(decimal(fields["amount"], "amount"), code)
        for name in ("taxAmount1", "taxAmount2"):
            if name in fields:
                record[name] = None if fields[name] is None else money(decimal(fields[name], name), code)
        if "date" in fields:
            record["date"] = date.fromisoformat(str(fields["date"])).isoformat()
        if "attachment" in fields:
            attachment = fields["attachment"]
            if attachment:
                attachment_id = int(attachment.get("attachmentid") or attachment.get("id") or self.next_id("expense"))
                record["attachment"] = {
                    "attachmentid": attachment_id,
                    "id": attachment_id,
                    "jwt": str(attachment.get("jwt", "")),
                    "media_type": str(attachment.get("media_type", "image/jpeg")),
                }
            else:
                record["attachment"] = None
        record["version"] = self.eastern_version()
