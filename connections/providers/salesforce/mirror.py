"""Salesforce Accounts in the mirror: what matching looks at (name, and the FreshBooks client id when set).

Salesforce sends no webhooks for this, so the mirror polls by `SystemModstamp`, which every write moves.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.utils.dateparse import parse_datetime

from connections.providers.errors import NotFound
from connections.providers.mirror import Source
from connections.providers.salesforce import client as salesforce

FIELDS = f"Id, Name, Website, Phone, BillingCity, {salesforce.CLIENT_ID_FIELD}, SystemModstamp"


def account_pages(connection) -> Iterator[list[dict]]:
    yield from salesforce.query_pages(connection, f"SELECT {FIELDS} FROM Account ORDER BY Id")  # noqa: S608 - constants


def account_changes(connection, since: datetime) -> Iterator[list[dict]]:
    stamp = salesforce.soql_datetime(since)
    yield from salesforce.query_pages(
        connection,
        f"SELECT {FIELDS} FROM Account WHERE SystemModstamp > {stamp} ORDER BY SystemModstamp",  # noqa: S608
    )


def fetch_account(connection, remote_id: str) -> dict | None:
    try:
        return salesforce.strip(salesforce.call(connection, "GET", f"/sobjects/Account/{remote_id}").data)
    except NotFound:
        return None


def account_row(account: dict) -> dict:
    stamp = account.get("SystemModstamp")
    return {
        "remote_id": account["Id"],
        "name": account.get("Name") or "",
        "emails": [],
        "external_id": account.get(salesforce.CLIENT_ID_FIELD) or None,
        "summary": {
            "website": account.get("Website") or "",
            "phone": account.get("Phone") or "",
            "city": account.get("BillingCity") or "",
        },
        "remote_updated_at": parse_datetime(stamp.replace("+0000", "+00:00")) if stamp else None,
        "deleted": False,
    }


SOURCES = {
    "Account": Source(account_pages, fetch_account, account_changes, account_row, overlap=timedelta(seconds=5)),
}
