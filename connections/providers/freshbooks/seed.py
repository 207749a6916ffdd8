"""The demo company in FreshBooks: twenty clients with three invoices each, payments (some partial) and
expenses (one tagged only with a client's project), a few named differently from their Zendesk organizations
("Acme Corp" / "Acme Corporation").

`seed(control)` drives the running sandbox's control API (`manage.py seed_sandbox`); it seeds once.
"""

from datetime import timedelta

from django.utils import timezone

# (client, e-mail domain, city, currency)
CLIENTS = (
    ("Acme Corp", "acme.example", "Springfield", "USD"),
    ("Smith & Sons", "smithandsons.example", "Leeds", "GBP"),
    ("Globex Industrial", "globex.example", "Cypress Creek", "USD"),
    ("Initech", "initech.example", "Austin", "USD"),
    ("Umbrella Health", "umbrella.example", "Raccoon City", "USD"),
    ("Stark Analytics", "stark.example", "New York", "USD"),
    ("Wayne Logistics", "wayne.example", "Gotham", "USD"),
    ("Hooli Cloud", "hooli.example", "Palo Alto", "USD"),
    ("Pied Piper", "piedpiper.example", "Palo Alto", "USD"),
    ("Vandelay Imports", "vandelay.example", "New York", "USD"),
    ("Bluth Company", "bluth.example", "Newport Beach", "USD"),
    ("Dunder Mifflin", "dundermifflin.example", "Scranton", "USD"),
    ("Prestige Worldwide", "prestige.example", "Los Angeles", "USD"),
    ("Soylent Foods", "soylent.example", "Chicago", "USD"),
    ("Tyrell Robotics", "tyrell.example", "Los Angeles", "USD"),
    ("Nordic Fjord AS", "fjord.example", "Bergen", "EUR"),
    ("Massive Dynamic", "massive.example", "Boston", "USD"),
    ("Gringotts Advisory", "gringotts.example", "London", "GBP"),
    ("Oceanic Travel", "oceanic.example", "Sydney", "USD"),
    ("Blue Sun Trading", "bluesun.example", "Houston", "USD"),
)
LINES = (("Support plan", "1", "1200.00"), ("Consulting hours", "6", "150.00"), ("Onboarding", "1", "450.00"))


def seed(control) -> dict[str, int] | None:
    """Create the company through `control(method, action, body)`; None when the sandbox has clients already."""
    if control("GET", "records/client")["records"]:
        return None
    today = timezone.now().date()
    counts = {"clients": 0, "invoices": 0, "payments": 0, "expenses": 0}
    for n, (name, domain, city, currency) in enumerate(CLIENTS):
        fields = {"organization": name, "email": f"billing@{domain}", "p_city": city, "currency_code": currency}
        client = control("POST", "records/client", {"client": fields})
        counts["clients"] += 1
        for k, (days_ago, (line, qty, cost)) in enumerate(zip((75, 40, 6), LINES, strict=True)):
            invoice = {
                "customerid": client["id"],
                "status": 2,
                "create_date": (today - timedelta(days=days_ago + n)).isoformat(),
                "due_offset_days": 30,
                "lines": [{"name": line, "qty": qty, "unit_cost": {"amount": cost, "code": currency}}],
            }
            invoice = control("POST", "records/invoice", {"invoice": invoice})
            counts["invoices"] += 1
            if k == 0 or (k == 1 and n % 3 == 0):
                paid = invoice["amount"]["amount"] if n % 4 else "500.00"  # some pay only part
                payment = {"invoiceid": invoice["id"], "amount": paid, "type": "Check"}
                control("POST", "records/payment", {"payment": payment})
                counts["payments"] += 1
        if n % 2 == 0:
            expense = {"vendor": "Rail & Hotels Co", "amount": "186.40", "clientid": client["id"], "categoryid": 3}
            control("POST", "records/expense", {"expense": expense})
            counts["expenses"] += 1
        elif n == 1:  # an expense tagged only with the client's project: it is the client's all the same
            project = control("POST", "records/project", {"title": "Website redesign", "client_id": client["id"]})
            expense = {"vendor": "Stock Photos Ltd", "amount": "120.00", "projectid": project["id"], "categoryid": 5}
            control("POST", "records/expense", {"expense": expense})
            counts["expenses"] += 1
    for vendor, cost in (("Office Supplies Co", "54.00"), ("Cloud Hosting Inc", "320.00")):
        control("POST", "records/expense", {"expense": {"vendor": vendor, "amount": cost}})
        counts["expenses"] += 1
    return counts
