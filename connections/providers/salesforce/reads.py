"""What ml-connector reads from Salesforce and never writes: Accounts' owners, their Orders, their Invoices.

The seed makes Salesforce read-only the other way: these are for people to see (the integration page) and for
an Opportunity to name the org's own Invoice. Each is one query, whatever the number of Accounts asked about.
"""

from decimal import Decimal

from connections.providers.salesforce import client as salesforce


def id_list(ids) -> str:
    return ", ".join(salesforce.quoted(record_id) for record_id in ids)


def accounts_with_owners(connection, account_ids, *, integration=None) -> dict[str, dict]:
    """{Account id: {"name", "owner"}}."""
    if not account_ids:
        return {}
    soql = f"SELECT Id, Name, Owner.Name FROM Account WHERE Id IN ({id_list(account_ids)})"  # noqa: S608
    return {
        a["Id"]: {"name": a.get("Name") or "", "owner": (a.get("Owner") or {}).get("Name") or ""}
        for a in salesforce.query(connection, soql, integration=integration)
    }


def orders_of(connection, account_ids, *, integration=None) -> dict[str, list[str]]:
    """{Account id: ["00000100 Draft 0.00 (2026-11-30)", ...]}, newest first."""
    if not account_ids:
        return {}
    soql = (
        "SELECT AccountId, OrderNumber, Status, TotalAmount, EffectiveDate FROM Order "  # noqa: S608
        f"WHERE AccountId IN ({id_list(account_ids)}) ORDER BY EffectiveDate DESC"
    )
    found: dict[str, list[str]] = {}
    for order in salesforce.query(connection, soql, integration=integration):
        total = Decimal(str(order.get("TotalAmount") or 0))
        line = f"{order.get('OrderNumber')} {order.get('Status')} {total:.2f} ({order.get('EffectiveDate')})"
        found.setdefault(order["AccountId"], []).append(line)
    return found


def invoices_totalling(connection, account_id: str, total: Decimal, *, integration=None) -> list[dict]:
    """The Account's Salesforce Invoices (Order Management) with this total: [{"Id", "DocumentNumber"}]."""
    soql = (
        "SELECT Id, DocumentNumber FROM Invoice "  # noqa: S608
        f"WHERE BillingAccountId = {salesforce.quoted(account_id)} AND TotalAmount = {total}"
    )
    return salesforce.query(connection, soql, integration=integration)
