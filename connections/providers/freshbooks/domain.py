"""FreshBooks' own ways with money, statuses, names and time, read the same way by every flow and the mirror.

Amounts are objects with a string amount (`{"amount": "10.00", "code": "USD"}`); statuses are computed by
FreshBooks and only ever read (`v3_status`); timestamps such as `updated` carry no zone and are US Eastern.
"""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.dateparse import parse_datetime

EASTERN = ZoneInfo("America/New_York")


def amount(money: dict | None) -> Decimal:
    return Decimal(str((money or {}).get("amount") or "0"))


def show_money(value: Decimal, code: str) -> str:
    return f"{code} {value:,.2f}"


def show_amount(money: dict | None) -> str:
    return show_money(amount(money), (money or {}).get("code") or "")


def today() -> date:
    """Today where FreshBooks keeps its dates (due dates are Eastern days)."""
    return timezone.now().astimezone(EASTERN).date()


def invoice_status(invoice: dict) -> str:
    """FreshBooks' own words for the status (`v3_status`), read and never written; "overdue" when it is."""
    status = invoice.get("v3_status") or invoice.get("payment_status") or str(invoice.get("status", ""))
    if amount(invoice.get("outstanding")) > 0 and invoice.get("due_date") and invoice["due_date"] < str(today()):
        return f"{status}, overdue"
    return status


def person_name(client: dict) -> str:
    return " ".join(part for part in (client.get("fname"), client.get("lname")) if part)


def client_name(client: dict, fallback: str | None = None) -> str:
    """The name people know a client by: its organization, else the person, else the e-mail."""
    found = client.get("organization") or person_name(client) or client.get("email")
    if found:
        return found
    return fallback if fallback is not None else f"Client {client.get('id')}"


def updated_at(value: str | None):
    """`updated` as an aware datetime (FreshBooks writes it without a zone, in US Eastern time)."""
    moment = parse_datetime(value or "")
    if moment is not None and timezone.is_naive(moment):
        moment = timezone.make_aware(moment, EASTERN)
    return moment
