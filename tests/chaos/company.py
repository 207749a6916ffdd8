"""The company the chaos run drives: one workspace with FreshBooks connected to Zendesk, Salesforce and Zuora
(every flow there is), seeded on the emulators, and the stream of changes its bookkeeper makes meanwhile.

The demo company's clients (up to its twenty), with open tickets in Zendesk, invoices, partial and full
payments; but every client has a Zendesk organization of exactly its name and nothing in Salesforce or Zuora
yet, so each one matches or is created without a person: review decisions are not what this run tests.
"""

import json
import random
import time
from datetime import timedelta

import requests

from connections.providers.freshbooks.seed import CLIENTS as DEMO_CLIENTS

VERIFIER_EVENTS = ("client", "invoice", "payment", "expense")  # the FreshBooks callbacks the app registers
SUBDOMAIN, MY_DOMAIN, ENVIRONMENT = "acme", "acme", "us-sandbox-2"
OWNER_EMAIL, OWNER_PASSWORD = "owner@chaos.example", "chaos-owner-password-0123"
WEBHOOK_RETRY_SECONDS = 10.0
CITIES = ("Springfield", "Leeds", "Austin", "Bergen", "Boston", "Sydney", "Houston", "Chicago")


def seed(sandbox, public_url: str, clients: int, rng: random.Random) -> dict:
    """The workspace, its connections and integrations, and each side's records; returns what the run needs."""
    from django.core.management import call_command
    from django.utils import timezone
    from django_scopes import scope, scopes_disabled

    from connections import registry
    from connections.models import Connection, Integration, Tenant
    from connections.sandbox.oauth import Grant
    from syncs.mirror import load as load_mirror

    fb, zd, sf, zu = (sandbox[s] for s in ("freshbooks", "zendesk", "salesforce", "zuora"))
    account_id = fb.config["businesses"][0]["account_id"]
    business_id = fb.config["businesses"][0]["id"]
    zd_account = zd.account(SUBDOMAIN)
    # FreshBooks tries a refused delivery again after a minute (the emulator's guess); sooner here, so a run
    # that refuses some during a database restart does not spend its drain waiting for them.
    fb.outbox.policy.update({"backoff_seconds": WEBHOOK_RETRY_SECONDS})
    sf.org(MY_DOMAIN, edition="production")
    zu.tenant(ENVIRONMENT)
    client_ids, tickets = [], {}
    with fb.lock, zd.lock:
        for n, (name, domain, _city, _currency) in enumerate(DEMO_CLIENTS[:clients]):
            fields = {"organization": name, "email": f"billing@{domain}", "currency_code": "USD"}
            client = fb.create(account_id, "client", fields)
            org = zd_account.create_organization({"name": name})
            person = zd_account.create_user(
                {"name": f"{name} support", "email": f"help@{domain}", "organization_id": org.id}
            )
            for k in range(1 + n % 2):  # one or two open tickets each
                zd_account.create_ticket(
                    {"subject": f"Billing question {k}", "comment": {"body": "Hello"}, "requester_id": person.id}
                )
            client_ids.append(client["id"])
            tickets[client["id"]] = org.id
        zd_account.drain_events()
    later = timezone.now() + timedelta(days=30)
    fb_tokens = fb.oauth.issue_tokens(
        Grant(
            "sandbox-freshbooks-client",
            " ".join(registry.provider("freshbooks").scopes),
            {"identity_id": fb.config["identity"]["id"]},
        )
    )
    zd_tokens = zendesk_tokens(zd)
    with open("/dev/null", "w") as quiet:
        call_command(
            "create_tenant",
            "Chaos Company",
            slug="chaos",
            owner_email=OWNER_EMAIL,
            password=OWNER_PASSWORD,
            stdout=quiet,
        )
        call_command("setup_schedules", stdout=quiet)
    with scopes_disabled():
        tenant = Tenant.objects.get(slug="chaos")
    with scope(tenant=tenant):
        source = Connection.objects.create(
            tenant=tenant,
            provider="freshbooks",
            label="FreshBooks",
            addresses={"account_id": account_id, "business_id": business_id},
            access_token=fb_tokens.access.value,
            refresh_token=fb_tokens.refresh.value,
            access_expires_at=later,
        )
        # The callbacks as `subscriptions.register` leaves them once FreshBooks' handshake is done.
        uri = f"{public_url}/webhooks/freshbooks/{source.uuid}/"
        with fb.lock:
            made = [fb.add_callback(account_id, event, uri, verified=True) for event in VERIFIER_EVENTS]
        source.webhook_secret = json.dumps({str(c["callbackid"]): c["verifier"] for c in made})
        source.settings = {
            "webhooks": {"callbacks": {str(c["callbackid"]): {"event": c["event"], "verified": True} for c in made}}
        }
        source.save()
        zendesk = Connection.objects.create(
            tenant=tenant,
            provider="zendesk",
            label="Zendesk",
            addresses={"subdomain": SUBDOMAIN},
            access_token=zd_tokens.access.value,
            refresh_token=zd_tokens.refresh.value,
            access_expires_at=timezone.now() + timedelta(seconds=zd_tokens.expires_in or 1800),
        )
        salesforce = Connection.objects.create(
            tenant=tenant,
            provider="salesforce",
            label="Salesforce",
            addresses={"my_domain": MY_DOMAIN, "edition": "production"},
            settings={"client_id": "sandbox-salesforce-client", "auth": "client_credentials"},
            client_secret="sandbox-salesforce-secret",
        )
        zuora = Connection.objects.create(
            tenant=tenant,
            provider="zuora",
            label="Zuora",
            addresses={"environment": ENVIRONMENT},
            settings={"client_id": "sandbox-zuora-client", "auth": "client_credentials"},
            client_secret="sandbox-zuora-secret",
        )
        integrations = {
            kind: Integration.objects.create(tenant=tenant, kind=kind, source=source, target=target, enabled=True)
            for kind, target in (
                ("freshbooks_zendesk", zendesk),
                ("freshbooks_salesforce", salesforce),
                ("freshbooks_zuora", zuora),
            )
        }
        load_mirror(zendesk, "organization")  # what the first enable's mirror load leaves
    return {
        "tenant": tenant,
        "account_id": account_id,
        "client_ids": client_ids,
        "org_of_client": tickets,
        "zendesk": zendesk,
        "integrations": integrations,
    }


def zendesk_tokens(zd):
    """Tokens as Zendesk's consent page grants them to the app (the reconnect after a revoke uses it too)."""
    from connections.sandbox.oauth import Grant

    admin = zd.account(SUBDOMAIN).admin
    with zd.lock:
        return zd.oauth.issue_tokens(
            Grant("sandbox-zendesk-client", "read write", {"subdomain": SUBDOMAIN, "user_id": admin.id})
        )


def plan_changes(client_ids: list[int], invoices: int, rng: random.Random) -> list[dict]:
    """The bookkeeper's day, in order: every client's address corrected, invoices sent, and about half of
    them paid (a part first, now and then); a payment always comes after its invoice."""
    steps = [{"kind": "client", "client": cid, "city": rng.choice(CITIES)} for cid in client_ids]
    for n in range(invoices):
        cost = f"{rng.randint(100, 2000)}.00"
        steps.append({"kind": "invoice", "ref": n, "client": client_ids[n % len(client_ids)], "cost": cost})
    rng.shuffle(steps)
    ordered = list(steps)
    for n in range(invoices):
        made_at = next(i for i, s in enumerate(ordered) if s.get("ref") == n and s["kind"] == "invoice")
        roll = rng.random()
        pays = ["full"] if roll < 0.3 else ["part", "rest"] if roll < 0.5 else []
        at = made_at
        for what in pays:
            at = rng.randint(at + 1, len(ordered))
            ordered.insert(at, {"kind": "payment", "ref": n, "what": what})
    return ordered


class Bookkeeper:
    """Makes the planned changes through the FreshBooks sandbox's control API, so its webhooks go out as
    FreshBooks' would. While the sandbox is down a change waits and is made once it answers again."""

    def __init__(self, sandbox_url: str, account_id: str):
        self.base = f"{sandbox_url}/_sandbox/freshbooks/api"
        self.account_id = account_id
        self.invoices: dict[int, dict] = {}  # plan ref -> the invoice as created
        self.made: dict[str, int] = {"client updates": 0, "invoices": 0, "payments": 0}
        self.waits = 0

    def control(self, path: str, body: dict, deadline: float) -> dict:
        while True:
            try:
                answer = requests.post(f"{self.base}/{path}", json=body, timeout=10)
                answer.raise_for_status()
                return answer.json()
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                self.waits += 1
                time.sleep(0.5)

    def make(self, step: dict, deadline: float) -> None:
        body = {"account_id": self.account_id}
        if step["kind"] == "client":
            body["client"] = {"p_city": step["city"], "p_country": "United States"}
            self.control(f"records/client/{step['client']}", body, deadline)
            self.made["client updates"] += 1
        elif step["kind"] == "invoice":
            body["invoice"] = {
                "customerid": step["client"],
                "status": 2,
                "due_offset_days": 30,
                "lines": [{"name": "Support plan", "qty": 1, "unit_cost": {"amount": step["cost"], "code": "USD"}}],
            }
            self.invoices[step["ref"]] = self.control("records/invoice", body, deadline)
            self.made["invoices"] += 1
        else:
            invoice = self.invoices[step["ref"]]
            total = float(invoice["amount"]["amount"])
            amount = total / 2 if step["what"] == "part" else total - (total / 2 if step["what"] == "rest" else 0)
            body["payment"] = {"invoiceid": invoice["id"], "amount": f"{amount:.2f}", "type": "Check"}
            self.control("records/payment", body, deadline)
            self.made["payments"] += 1
