"""What Zuora answers look like: the account read (fixture account_get_response.json, key for key), Object
Query rows, invoices (as in invoices_by_account_response.json) and payments (payment_create_response.json)."""

from __future__ import annotations

PAYMENT_NULLS = (
    "paymentMethodId", "paymentMethodSnapshotId", "authTransactionId", "bankIdentificationNumber", "gatewayId",
    "gatewayOrderId", "gatewayResponse", "gatewayResponseCode",
)  # fmt: skip
PAYMENT_TAIL_NULLS = (
    "markedForSubmissionOn", "referenceId", "secondPaymentReferenceId", "softDescriptor", "softDescriptorPhone",
    "submittedOn", "settledOn", "cancelledOn",
)  # fmt: skip


def account_read(tenant, account: dict) -> dict:
    balance = float(tenant.balance(account))
    return {
        "basicInfo": {
            "id": account["id"],
            "name": account["name"],
            "accountNumber": account["accountNumber"],
            "notes": account["notes"],
            "status": account["status"],
            "crmId": account["crmId"],
            "batch": "Batch1",
            "invoiceTemplateId": None,
            "communicationProfileId": None,
            **account["custom"],
        },
        "billingAndPayment": {
            "billCycleDay": account["billCycleDay"],
            "currency": account["currency"],
            "paymentTerm": account["paymentTerm"],
            "paymentGateway": None,
        },
        "metrics": {"balance": balance, "totalInvoiceBalance": balance, "creditBalance": 0.0, "contractedMrr": 0.0},
        "billToContact": dict(account["billToContact"]),
        "soldToContact": dict(account["billToContact"]),
        "success": True,
    }


def iso(stamp: str) -> str:
    return stamp.replace(" ", "T") + "Z"


def account_row(account: dict, *, billto: bool) -> dict:
    """An Object Query row: camelCase fields, custom fields by name, timestamps as 2024-07-25T02:39:50Z."""
    row = {
        "id": account["id"],
        "accountNumber": account["accountNumber"],
        "name": account["name"],
        "status": account["status"],
        "currency": account["currency"],
        "billCycleDay": account["billCycleDay"],
        "paymentTerm": account["paymentTerm"],
        "autoPay": account["autoPay"],
        "crmId": account["crmId"],
        "createdDate": iso(account["createdDate"]),
        "updatedDate": iso(account["updatedDate"]),
        **account["custom"],
    }
    if billto:
        row["billTo"] = {k: v for k, v in account["billToContact"].items() if v is not None}
    return row


def invoice_json(invoice: dict, *, with_items: bool = True) -> dict:
    body = {
        "id": invoice["id"],
        "accountId": invoice["accountId"],
        "accountNumber": invoice["accountNumber"],
        "invoiceDate": invoice["invoiceDate"],
        "invoiceNumber": invoice["invoiceNumber"],
        "dueDate": invoice["dueDate"],
        "amount": invoice["amount"],
        "amountWithoutTax": invoice["amountWithoutTax"],
        "taxAmount": invoice["taxAmount"],
        "balance": invoice["balance"],
        "paymentAmount": invoice["paymentAmount"],
        "currency": invoice["currency"],
        "status": invoice["status"],
        "comments": invoice["comments"],
        "postedDate": invoice["postedDate"],
        "createdDate": invoice["createdDate"],
        "updatedDate": invoice["updatedDate"],
        **invoice["custom"],
    }
    if with_items:
        body["invoiceItems"] = [item_json(item) for item in invoice["items"]]
    return body


def item_json(item: dict) -> dict:
    return {
        "id": item["id"],
        "serviceStartDate": item.get("serviceStartDate"),
        "serviceEndDate": item.get("serviceEndDate") or item.get("serviceStartDate"),
        "chargeAmount": item.get("amount"),
        "chargeDescription": item.get("description") or "",
        "chargeName": item.get("chargeName"),
        "quantity": item.get("quantity", 1),
        "unitPrice": item.get("unitPrice"),
        "taxAmount": item.get("taxAmount", 0),
        "unitOfMeasure": item.get("uom") or "",
    }


def payment_json(payment: dict) -> dict:
    return {
        "id": payment["id"],
        "number": payment["number"],
        "status": payment["status"],
        "type": payment["type"],
        "accountId": payment["accountId"],
        "amount": payment["amount"],
        "appliedAmount": payment["appliedAmount"],
        "unappliedAmount": payment["unappliedAmount"],
        "refundAmount": 0,
        "creditBalanceAmount": 0,
        "currency": payment["currency"],
        "effectiveDate": payment["effectiveDate"],
        "comment": payment["comment"],
        **dict.fromkeys(PAYMENT_NULLS),
        "gatewayState": "NotSubmitted",
        **dict.fromkeys(PAYMENT_TAIL_NULLS),
        "referenceId": payment["referenceId"],
        "createdDate": payment["createdDate"],
        "createdById": None,
        "updatedDate": payment["updatedDate"],
        "updatedById": None,
        **payment["custom"],
        "financeInformation": {},
    }


# Describe (GET /v1/describe/{object}): the fields the flow touches, as Zuora's XML names them.
DESCRIBED = {
    "Account": [("Id", "text"), ("AccountNumber", "text"), ("Name", "text"), ("Currency", "picklist"),
                ("BillCycleDay", "integer"), ("PaymentTerm", "text"), ("AutoPay", "boolean"), ("CrmId", "text")],
    "Invoice": [("Id", "text"), ("InvoiceNumber", "text"), ("AccountId", "text"), ("Amount", "decimal"),
                ("Balance", "decimal"), ("DueDate", "date"), ("InvoiceDate", "date"), ("Status", "picklist")],
}  # fmt: skip


def describe_xml(name: str, standard: list[tuple[str, str]], custom: list[str], href: str) -> str:
    from xml.sax.saxutils import escape

    def field(field_name, kind, is_custom):
        return (
            f"<field><name>{escape(field_name)}</name><label>{escape(field_name)}</label>"
            f"<required>false</required><type>{kind}</type><custom>{str(is_custom).lower()}</custom>"
            "<contexts><context>export</context><context>soap</context></contexts></field>"
        )

    fields = [field(n, k, False) for n, k in standard] + [field(n, "text", True) for n in custom]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<object href="{escape(href)}"><name>{name}</name><label>{name}</label>'
        f"<fields>{''.join(fields)}</fields></object>"
    )
