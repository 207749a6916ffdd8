"""Steps the FreshBooks -> Zendesk tests take with the two sandboxes: customers on each side, invoices, notes."""

from datetime import timedelta

from django.utils import timezone

from syncs.mirror import load as load_mirror
from tests.helpers.sandboxes import ACCOUNT


def zendesk_account(sandbox):
    return sandbox["zendesk"].account("acme")


def zendesk_customer(sandbox, name, tickets=1):
    """An organization with a contact and open tickets; their creation events are not the app's business."""
    account = zendesk_account(sandbox)
    org = account.create_organization({"name": name})
    person = account.create_user(
        {"name": f"{name} contact", "email": f"help{org.id}@example.com", "organization_id": org.id}
    )
    opened = [
        account.create_ticket({"subject": f"Question {n}", "comment": {"body": "Hello"}, "requester_id": person.id})
        for n in range(tickets)
    ]
    account.drain_events()
    return org, person, opened


def mirror(integration):
    """The Zendesk organizations as matching sees them (the full load that enabling an integration runs)."""
    load_mirror(integration.target, "organization")


def fb_client(sandbox, name, **fields):
    return sandbox["freshbooks"].create(ACCOUNT, "client", {"organization": name, "email": "ap@example.com", **fields})


def fb_invoice(sandbox, client, cost, days_ago=0, due_in=30, **fields):
    created = (timezone.now() - timedelta(days=days_ago)).date().isoformat()
    return sandbox["freshbooks"].create(
        ACCOUNT,
        "invoice",
        {
            "customerid": client["id"],
            "status": 2,
            "create_date": created,
            "due_offset_days": due_in,
            "lines": [{"name": "Support plan", "qty": 1, "unit_cost": {"amount": str(cost)}}],
            **fields,
        },
    )


def notes(sandbox, ticket):
    return [c.body for c in zendesk_account(sandbox).ticket(ticket.id).comments if not c.public]


def public_comments(sandbox, ticket):
    return [c.body for c in zendesk_account(sandbox).ticket(ticket.id).comments if c.public]


def requests_to(sandbox, slug, since=0):
    return [e for e in sandbox[slug].journal.entries(kind="request")[since:] if "/oauth" not in e.url]
