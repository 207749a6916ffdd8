"""One Zuora tenant (no HTTP in it): its Accounts, Invoices and Payments, its feature flags, and Zuora's rules.

Failures are `ZuoraFailure(code, message)` with Zuora's 8-digit reason codes: a resource code and a two-digit
category (zuora.md 6): 10 permission, 20 invalid value, 22 missing field, 30 business rule, 40 not found,
50 lock contention. The route turns one into the v1 body `{"success": false, "reasons": [...]}`.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

ACCOUNT, INVOICE, PAYMENT = 500000, 590000, 550000  # resource codes (bodiless calls report 500000)
CONTACT_FIELDS = (
    "address1", "address2", "city", "country", "county", "fax", "firstName", "homePhone", "lastName", "mobilePhone",
    "nickname", "otherPhone", "otherPhoneType", "personalEmail", "state", "taxRegion", "workEmail", "workPhone",
    "zipCode",
)  # fmt: skip
TERMS = ("Due Upon Receipt", "Net 30", "Net 60", "Net 90")


class ZuoraFailure(Exception):
    def __init__(self, resource: int, category: int, message: str):
        super().__init__(message)
        self.code = resource * 100 + category  # 8 digits: 500000 and 40 make 50000040
        self.message = message


def money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


class ZuoraTenant:
    def __init__(self, number: int, environment: str, clock):
        self.number, self.environment, self.clock = number, environment, clock
        self.accounts: dict[str, dict] = {}
        self.invoices: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.keys: dict[str, dict] = {}  # idempotency key -> {method, url, body, answer, at, running}
        self.counters = {"account": 0, "invoice": 0, "payment": 0}
        self.flags = {"api_write_access": True, "unified_invoicing": True, "invoice_settlement": True}
        # The custom fields the customer created (README, setup step 3); a `__c` key not among them is refused.
        self.custom_fields = {"Account": {"FreshBooksClientId__c"}, "Invoice": {"FreshBooksInvoiceId__c"}}
        self.lock_contention = 0  # the next N writes fail with category 50
        self.lose_answers = 0  # the next N writes are done, but their answers never arrive

    def new_id(self) -> str:
        return secrets.token_hex(16)

    def now(self) -> str:
        return datetime.fromtimestamp(self.clock.now()).strftime("%Y-%m-%d %H:%M:%S")

    def write_check(self, resource: int) -> None:
        if not self.flags["api_write_access"]:
            raise ZuoraFailure(resource, 10, "You do not have the API Write Access permission.")
        if self.lock_contention > 0:
            self.lock_contention -= 1
            raise ZuoraFailure(resource, 50, "Operation failed due to a lock competition, please retry later.")

    def custom_of(self, resource: int, obj: str, body: dict) -> dict:
        """The body's custom fields; one the tenant does not have is category 21, unknown field."""
        custom = {k: v for k, v in body.items() if k.endswith("__c")}
        unknown = sorted(set(custom) - self.custom_fields.get(obj, set()))
        if unknown:
            raise ZuoraFailure(resource, 21, f"Unknown field(s): {', '.join(unknown)}")
        return custom

    # Accounts ----------------------------------------------------------------------------------------

    def create_account(self, body: dict) -> dict:
        self.write_check(ACCOUNT)
        custom = self.custom_of(ACCOUNT, "Account", body)
        for name in ("name", "currency"):
            if not body.get(name):
                raise ZuoraFailure(ACCOUNT, 22, f"'{name}' may not be null")
        contact = body.get("billToContact") or {}
        if not contact.get("firstName") or not contact.get("lastName"):
            raise ZuoraFailure(ACCOUNT, 22, "'billToContact.firstName' and 'billToContact.lastName' may not be null")
        day = body.get("billCycleDay")
        if day is None or not 0 <= int(day) <= 31:
            raise ZuoraFailure(ACCOUNT, 20, "'billCycleDay' should be between 0 and 31")
        if body.get("paymentTerm") and body["paymentTerm"] not in TERMS:
            raise ZuoraFailure(ACCOUNT, 20, f"Payment term '{body['paymentTerm']}' does not exist.")
        if body.get("autoPay"):
            raise ZuoraFailure(ACCOUNT, 22, "A payment method is required when autoPay is true.")
        self.counters["account"] += 1
        number = body.get("accountNumber") or f"A{self.counters['account']:08d}"
        if any(a["accountNumber"] == number for a in self.accounts.values()):
            raise ZuoraFailure(ACCOUNT, 30, f"The account number {number} is invalid or already used.")
        account = {
            "id": self.new_id(),
            "accountNumber": number,
            "name": body["name"][:255],
            "status": "Active",
            "currency": body["currency"],
            "billCycleDay": int(day),
            "paymentTerm": body.get("paymentTerm") or "Due Upon Receipt",
            "autoPay": False,
            "crmId": body.get("crmId"),
            "notes": body.get("notes"),
            "billToContact": {name: contact.get(name) for name in CONTACT_FIELDS},
            "custom": custom,
            "createdDate": self.now(),
            "updatedDate": self.now(),
        }
        self.accounts[account["id"]] = account
        return account

    def account(self, key: str) -> dict:
        found = self.accounts.get(key) or next((a for a in self.accounts.values() if a["accountNumber"] == key), None)
        if found is None:
            raise ZuoraFailure(ACCOUNT, 40, f"Cannot find entity by key: '{key}'.")
        return found

    def update_account(self, key: str, body: dict) -> dict:
        self.write_check(ACCOUNT)
        account = self.account(key)
        custom = self.custom_of(ACCOUNT, "Account", body)
        for name in ("name", "notes", "crmId"):
            if name in body:
                account[name] = body[name]
        account["custom"].update(custom)
        account["updatedDate"] = self.now()
        return account

    def balance(self, account: dict) -> Decimal:
        return sum((money(i["balance"]) for i in self.invoices.values() if i["accountId"] == account["id"]), Decimal(0))

    # Invoices ----------------------------------------------------------------------------------------

    def create_invoice(self, body: dict, *, custom_fields: bool) -> dict:
        self.write_check(INVOICE)
        if not self.flags["unified_invoicing"]:
            raise ZuoraFailure(INVOICE, 10, "Unified Invoicing is not enabled; standalone invoices cannot be created.")
        key = body.get("accountId") or body.get("accountNumber")
        if not key:
            raise ZuoraFailure(INVOICE, 22, "'accountId' or 'accountNumber' may not be null")
        account = self.account(key)
        if not body.get("invoiceDate"):
            raise ZuoraFailure(INVOICE, 22, "'invoiceDate' may not be null")
        items = body.get("invoiceItems") or []
        if not items:
            raise ZuoraFailure(INVOICE, 22, "'invoiceItems' may not be empty")
        built = []
        for item in items:
            if item.get("amount") is None or not item.get("serviceStartDate") or not item.get("chargeName"):
                raise ZuoraFailure(INVOICE, 22, "Each invoice item needs amount, serviceStartDate and chargeName.")
            tax = sum((money(t.get("taxAmount")) for t in item.get("taxItems") or []), Decimal(0))
            built.append({"id": self.new_id(), **item, "taxAmount": float(tax)})
        custom = {k: v for k, v in body.items() if k.endswith("__c")}
        if custom and not custom_fields:
            raise ZuoraFailure(INVOICE, 21, f"Unknown field(s): {', '.join(custom)}")
        custom = self.custom_of(INVOICE, "Invoice", body)
        self.counters["invoice"] += 1
        number = body.get("invoiceNumber") or f"INV{self.counters['invoice']:08d}"
        if any(i["invoiceNumber"] == number for i in self.invoices.values()):
            raise ZuoraFailure(INVOICE, 30, f"The invoice number {number} is already used.")
        without_tax = sum((money(i["amount"]) for i in built), Decimal(0))
        tax = sum((money(i["taxAmount"]) for i in built), Decimal(0))
        status = body.get("status") or "Draft"
        if status not in ("Draft", "Posted"):
            raise ZuoraFailure(INVOICE, 20, "'status' should be one of: Draft, Posted")
        invoice = {
            "id": self.new_id(),
            "invoiceNumber": number,
            "accountId": account["id"],
            "accountNumber": account["accountNumber"],
            "status": status,
            "invoiceDate": body["invoiceDate"],
            "dueDate": body.get("dueDate") or body["invoiceDate"],
            "currency": body.get("currency") or account["currency"],
            "amountWithoutTax": float(without_tax),
            "taxAmount": float(tax),
            "amount": float(without_tax + tax),
            "balance": float(without_tax + tax),
            "paymentAmount": 0.0,
            "comments": body.get("comments"),
            "items": built,
            "custom": custom,
            "postedDate": self.now()[:10] if status == "Posted" else None,
            "createdDate": self.now(),
            "updatedDate": self.now(),
        }
        self.invoices[invoice["id"]] = invoice
        return invoice

    def invoice(self, key: str) -> dict:
        found = self.invoices.get(key) or next((i for i in self.invoices.values() if i["invoiceNumber"] == key), None)
        if found is None:
            raise ZuoraFailure(INVOICE, 40, f"Cannot find entity by key: '{key}'.")
        return found

    def update_invoice(self, key: str, body: dict) -> dict:
        self.write_check(INVOICE)
        invoice = self.invoice(key)
        if "invoiceItems" in body and invoice["status"] != "Draft":
            raise ZuoraFailure(
                INVOICE,
                30,
                f"The invoice {invoice['invoiceNumber']} is {invoice['status']}; only a draft's items can change.",
            )
        if "dueDate" in body:
            invoice["dueDate"] = body["dueDate"]
        if "invoiceItems" in body:
            rebuilt = self.create_invoice_items(body["invoiceItems"])
            invoice["items"] = rebuilt
            total = sum((money(i["amount"]) + money(i["taxAmount"]) for i in rebuilt), Decimal(0))
            invoice["amount"] = invoice["balance"] = float(total)
        invoice["updatedDate"] = self.now()
        return invoice

    def create_invoice_items(self, items: list) -> list:
        out = []
        for item in items:
            tax = sum((money(t.get("taxAmount")) for t in item.get("taxItems") or []), Decimal(0))
            out.append({"id": self.new_id(), **item, "taxAmount": float(tax)})
        return out

    def unpost(self, invoice_id: str) -> dict:
        """What a billing person does in Zuora's UI to correct a posted invoice nothing was paid on."""
        invoice = self.invoice(invoice_id)
        if invoice["status"] != "Posted" or invoice["paymentAmount"]:
            raise ZuoraFailure(INVOICE, 30, f"The invoice {invoice['invoiceNumber']} cannot be unposted.")
        invoice["status"], invoice["postedDate"] = "Draft", None
        return invoice

    def post(self, invoice_id: str) -> dict:
        invoice = self.invoice(invoice_id)
        if invoice["status"] != "Draft":
            raise ZuoraFailure(
                INVOICE, 30, f"Only draft invoices can be posted; {invoice['invoiceNumber']} is {invoice['status']}."
            )
        invoice["status"], invoice["postedDate"] = "Posted", self.now()[:10]
        return invoice

    # Payments ----------------------------------------------------------------------------------------

    def create_payment(self, body: dict) -> dict:
        self.write_check(PAYMENT)
        if not self.flags["invoice_settlement"]:
            raise ZuoraFailure(PAYMENT, 10, "Invoice Settlement is not enabled for this tenant.")
        for name in ("amount", "type", "currency"):
            if body.get(name) in (None, ""):
                raise ZuoraFailure(PAYMENT, 22, f"'{name}' may not be null")
        if body["type"] not in ("External", "Electronic"):
            raise ZuoraFailure(PAYMENT, 20, "'type' should be one of: External, Electronic")
        account = self.account(body.get("accountId") or body.get("accountNumber") or "")
        applied = Decimal(0)
        applications = []
        for entry in body.get("invoices") or []:
            invoice = self.invoice(entry.get("invoiceId") or "")
            amount = money(entry.get("amount"))
            if invoice["status"] != "Posted":
                raise ZuoraFailure(PAYMENT, 30, f"The invoice {invoice['invoiceNumber']} is not posted.")
            if money(invoice["balance"]) == 0 or amount > money(invoice["balance"]):
                raise ZuoraFailure(PAYMENT, 30, "The applied amount cannot exceed the invoice balance.")
            applications.append((invoice, amount))
            applied += amount
        total = money(body["amount"])
        if applied > total:
            raise ZuoraFailure(PAYMENT, 30, "The total applied amount cannot exceed the payment amount.")
        for invoice, amount in applications:
            invoice["balance"] = float(money(invoice["balance"]) - amount)
            invoice["paymentAmount"] = float(money(invoice["paymentAmount"]) + amount)
        self.counters["payment"] += 1
        payment = {
            "id": self.new_id(),
            "number": f"P-{self.counters['payment']:08d}",
            "status": "Processed",
            "type": body["type"],
            "accountId": account["id"],
            "amount": float(total),
            "appliedAmount": float(applied),
            "unappliedAmount": float(total - applied),
            "currency": body["currency"],
            "effectiveDate": body.get("effectiveDate") or self.now()[:10],
            "comment": body.get("comment"),
            "referenceId": body.get("referenceId"),
            "invoices": [{"invoiceId": i["id"], "amount": float(a)} for i, a in applications],
            "custom": {k: v for k, v in body.items() if k.endswith("__c")},
            "createdDate": self.now(),
            "updatedDate": self.now(),
        }
        self.payments[payment["id"]] = payment
        return payment
