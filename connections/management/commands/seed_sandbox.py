"""`manage.py seed_sandbox`: give the running sandbox a small, realistic company to show.

Twenty FreshBooks clients with three invoices each (sixty), payments and expenses, and for most of them a
Zendesk organization with a contact and open tickets, a few named differently on each side ("Acme Corp" /
"Acme Corporation", "Smith & Sons" / "Smith and Sons Ltd", "Globex Industrial" / "Globex Industries"), so
the fit check, the review queue and the notes have something real to show. It only talks to the sandbox's
control API (`/_sandbox/<slug>/api/...`), never to the app, and seeds once: a sandbox that already has
clients is left alone.
"""

import time
from datetime import timedelta

import requests
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

# (FreshBooks client, Zendesk organization or None, e-mail domain, city, currency)
CUSTOMERS = (
    ("Acme Corp", "Acme Corporation", "acme.example", "Springfield", "USD"),
    ("Smith & Sons", "Smith and Sons Ltd", "smithandsons.example", "Leeds", "GBP"),
    ("Globex Industrial", "Globex Industries", "globex.example", "Cypress Creek", "USD"),
    ("Initech", "Initech", "initech.example", "Austin", "USD"),
    ("Umbrella Health", "Umbrella Health", "umbrella.example", "Raccoon City", "USD"),
    ("Stark Analytics", "Stark Analytics", "stark.example", "New York", "USD"),
    ("Wayne Logistics", "Wayne Logistics", "wayne.example", "Gotham", "USD"),
    ("Hooli Cloud", "Hooli Cloud", "hooli.example", "Palo Alto", "USD"),
    ("Pied Piper", "Pied Piper", "piedpiper.example", "Palo Alto", "USD"),
    ("Vandelay Imports", "Vandelay Imports", "vandelay.example", "New York", "USD"),
    ("Bluth Company", "Bluth Company", "bluth.example", "Newport Beach", "USD"),
    ("Dunder Mifflin", "Dunder Mifflin", "dundermifflin.example", "Scranton", "USD"),
    ("Prestige Worldwide", "Prestige Worldwide", "prestige.example", "Los Angeles", "USD"),
    ("Soylent Foods", "Soylent Foods", "soylent.example", "Chicago", "USD"),
    ("Tyrell Robotics", "Tyrell Robotics", "tyrell.example", "Los Angeles", "USD"),
    ("Nordic Fjord AS", "Nordic Fjord AS", "fjord.example", "Bergen", "EUR"),
    ("Massive Dynamic", "Massive Dynamic", "massive.example", "Boston", "USD"),
    ("Gringotts Advisory", None, "gringotts.example", "London", "GBP"),
    ("Oceanic Travel", None, "oceanic.example", "Sydney", "USD"),
    ("Blue Sun Trading", None, "bluesun.example", "Houston", "USD"),
)
LINES = (("Support plan", "1", "1200.00"), ("Consulting hours", "6", "150.00"), ("Onboarding", "1", "450.00"))
QUESTIONS = ("When is our next invoice due?", "Question about invoice amount", "Can we change our billing contact?")


class Command(BaseCommand):
    help = "Seed the running provider sandbox with a small demo company (FreshBooks clients, Zendesk orgs)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8765", help="The sandbox's base URL")
        parser.add_argument("--wait", type=float, default=20.0, help="Seconds to wait for the sandbox to answer")
        parser.add_argument("--subdomain", default="acme", help="The Zendesk sandbox account")

    def handle(self, url, wait, subdomain, **options):
        self.base = url.rstrip("/")
        self.wait_for_sandbox(wait)
        if self.control("GET", "freshbooks", "records/client")["records"]:
            self.stdout.write("The sandbox already has FreshBooks clients; not seeding again.")
            return
        today = timezone.now().date()
        counts = {"clients": 0, "invoices": 0, "payments": 0, "expenses": 0, "organizations": 0, "tickets": 0}
        for n, (name, org_name, domain, city, currency) in enumerate(CUSTOMERS):
            email = f"billing@{domain}"
            client = self.control(
                "POST",
                "freshbooks",
                "records/client",
                {"client": {"organization": name, "email": email, "p_city": city, "currency_code": currency}},
            )
            counts["clients"] += 1
            invoices = []
            for k, (days_ago, (line, qty, cost)) in enumerate(zip((75, 40, 6), LINES, strict=True)):
                created = (today - timedelta(days=days_ago + n)).isoformat()
                fields = {
                    "customerid": client["id"],
                    "status": 2,
                    "create_date": created,
                    "due_offset_days": 30,
                    "lines": [{"name": line, "qty": qty, "unit_cost": {"amount": cost, "code": currency}}],
                }
                invoices.append(self.control("POST", "freshbooks", "records/invoice", {"invoice": fields}))
                counts["invoices"] += 1
                if k == 0 or (k == 1 and n % 3 == 0):
                    paid = invoices[-1]["amount"]["amount"] if n % 4 else "500.00"  # some pay only part
                    payment = {"invoiceid": invoices[-1]["id"], "amount": paid, "type": "Check"}
                    self.control("POST", "freshbooks", "records/payment", {"payment": payment})
                    counts["payments"] += 1
            if n % 2 == 0:
                expense = {"vendor": "Rail & Hotels Co", "amount": "186.40", "clientid": client["id"], "categoryid": 3}
                self.control("POST", "freshbooks", "records/expense", {"expense": expense})
                counts["expenses"] += 1
            if org_name:
                self.seed_zendesk(subdomain, org_name, domain, n, counts)
        for vendor, cost in (("Office Supplies Co", "54.00"), ("Cloud Hosting Inc", "320.00")):
            self.control("POST", "freshbooks", "records/expense", {"expense": {"vendor": vendor, "amount": cost}})
            counts["expenses"] += 1
        summary = ", ".join(f"{value} {key}" for key, value in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Seeded the sandbox: {summary}."))

    def seed_zendesk(self, subdomain, org_name, domain, n, counts):
        org = self.control("POST", "zendesk", "records/organization", {"subdomain": subdomain, "name": org_name})
        org_id = org["organization"]["id"]
        counts["organizations"] += 1
        person = self.control(
            "POST",
            "zendesk",
            "records/user",
            {
                "subdomain": subdomain,
                "name": f"{org_name} support",
                "email": f"help@{domain}",
                "organization_id": org_id,
            },
        )
        for question in QUESTIONS[: 1 + n % 2]:
            ticket = {
                "subdomain": subdomain,
                "subject": question,
                "body": f"Hello, {question.lower()}",
                "requester_id": person["user"]["id"],
            }
            self.control("POST", "zendesk", "records/ticket", ticket)
            counts["tickets"] += 1

    def wait_for_sandbox(self, wait: float) -> None:
        deadline = time.monotonic() + wait
        while True:
            try:
                requests.get(f"{self.base}/_sandbox/freshbooks/api/state", timeout=2).raise_for_status()
                return
            except requests.RequestException as exc:
                if time.monotonic() > deadline:
                    raise CommandError(f"The sandbox at {self.base} does not answer: {exc}") from None
                time.sleep(0.3)

    def control(self, method: str, slug: str, action: str, body: dict | None = None) -> dict:
        response = requests.request(method, f"{self.base}/_sandbox/{slug}/api/{action}", json=body, timeout=10)
        if response.status_code >= 400:
            raise CommandError(f"{slug} {action}: HTTP {response.status_code} {response.text[:300]}")
        return response.json()
