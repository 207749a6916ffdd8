"""Zuora Accounts in the mirror: matching looks at the FreshBooks id field first, then the bill-to e-mail.

Zuora sends no webhooks for this, so the mirror walks Object Query pages (`cursor`) and polls by `updatedDate`.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.utils.dateparse import parse_datetime

from connections.providers.mirror import Source
from connections.providers.zuora import client as zuora

PAGE = 99  # Object Query's largest page


def account_pages(connection, filters=()) -> Iterator[list[dict]]:
    cursor = None
    while True:
        params = [("pageSize", str(PAGE)), ("expand[]", "billto"), *filters]
        if cursor:
            params.append(("cursor", cursor))
        body = zuora.call(connection, "GET", "/object-query/accounts", params=params).data or {}
        yield body.get("data", [])
        cursor = body.get("nextPage")
        if not cursor:
            return


def account_changes(connection, since: datetime) -> Iterator[list[dict]]:
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    yield from account_pages(connection, [("filter[]", f"updatedDate.GE:{stamp}")])


def fetch_account(connection, remote_id: str) -> dict | None:
    found = zuora.call(connection, "GET", f"/object-query/accounts/{remote_id}", params=[("expand[]", "billto")]).data
    return found or None


def account_row(account: dict) -> dict:
    bill_to = account.get("billTo") or {}
    stamp = parse_datetime(str(account.get("updatedDate") or "").replace("Z", "+00:00"))
    return {
        "remote_id": account["id"],
        "name": account.get("name") or "",
        "emails": [e for e in (bill_to.get("workEmail"), bill_to.get("personalEmail")) if e],
        "external_id": account.get(zuora.CLIENT_ID_FIELD) or None,
        "summary": {"number": account.get("accountNumber") or "", "currency": account.get("currency") or ""},
        "remote_updated_at": stamp,
        "deleted": account.get("status") == "Canceled",
    }


SOURCES = {
    "account": Source(account_pages, fetch_account, account_changes, account_row, overlap=timedelta(seconds=5)),
}
