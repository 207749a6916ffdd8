"""The demo company in Zendesk: organizations with a contact and open tickets for most FreshBooks clients, a
few named differently ("Acme Corporation" for FreshBooks' "Acme Corp", "Smith and Sons Ltd", "Globex
Industries"), and three clients with no organization at all.

`seed(control)` drives the running sandbox's control API (`manage.py seed_sandbox`); it seeds once.
"""

SUBDOMAIN = "acme"  # the emulator's demo account

# (organization, e-mail domain, open tickets)
ORGANIZATIONS = (
    ("Acme Corporation", "acme.example", 1),
    ("Smith and Sons Ltd", "smithandsons.example", 2),
    ("Globex Industries", "globex.example", 1),
    ("Initech", "initech.example", 2),
    ("Umbrella Health", "umbrella.example", 1),
    ("Stark Analytics", "stark.example", 2),
    ("Wayne Logistics", "wayne.example", 1),
    ("Hooli Cloud", "hooli.example", 2),
    ("Pied Piper", "piedpiper.example", 1),
    ("Vandelay Imports", "vandelay.example", 2),
    ("Bluth Company", "bluth.example", 1),
    ("Dunder Mifflin", "dundermifflin.example", 2),
    ("Prestige Worldwide", "prestige.example", 1),
    ("Soylent Foods", "soylent.example", 2),
    ("Tyrell Robotics", "tyrell.example", 1),
    ("Nordic Fjord AS", "fjord.example", 2),
    ("Massive Dynamic", "massive.example", 1),
)
QUESTIONS = ("When is our next invoice due?", "Question about invoice amount", "Can we change our billing contact?")


def seed(control) -> dict[str, int] | None:
    """Create the organizations through `control(method, action, body)`; None when some exist already."""
    if (control("GET", "state")["state"].get(SUBDOMAIN) or {}).get("organizations"):
        return None
    counts = {"organizations": 0, "tickets": 0}
    for name, domain, tickets in ORGANIZATIONS:
        org = control("POST", "records/organization", {"subdomain": SUBDOMAIN, "name": name})
        counts["organizations"] += 1
        person = {
            "subdomain": SUBDOMAIN,
            "name": f"{name} support",
            "email": f"help@{domain}",
            "organization_id": org["organization"]["id"],
        }
        person = control("POST", "records/user", person)
        for question in QUESTIONS[:tickets]:
            ticket = {
                "subdomain": SUBDOMAIN,
                "subject": question,
                "body": f"Hello, {question.lower()}",
                "requester_id": person["user"]["id"],
            }
            control("POST", "records/ticket", ticket)
            counts["tickets"] += 1
    return counts
