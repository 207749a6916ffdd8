"""The demo tenant in Zuora (US API Sandbox, Cloud 2), as a billing team keeps it before ml-connector: a few
Accounts, one with a bill-to e-mail of a FreshBooks client under another name ("Acme Billing" for "Acme
Corp": found by e-mail), one named exactly like a client but with nothing else in common (a person decides),
and two with no FreshBooks client at all. None carries a FreshBooks id yet.

`seed(control)` drives the running sandbox's control API (`manage.py seed_sandbox`); it seeds once.
"""

ENVIRONMENT = "us-sandbox-2"

# (name, first name, last name, bill-to e-mail, currency)
ACCOUNTS = (
    ("Acme Billing", "Ann", "Lee", "billing@acme.example", "USD"),
    ("Initech", "Bill", "Lumbergh", "ap@initech-holdings.example", "USD"),
    ("Cyberdyne Systems", "Miles", "Dyson", "finance@cyberdyne.example", "USD"),
    ("Wonka Industries", "Willy", "Wonka", "ledger@wonka.example", "USD"),
)


def seed(control) -> dict[str, int] | None:
    """Create the Accounts through `control(method, action, body)`; None when the tenant has some already."""
    if control("GET", "records/account")["records"]:  # the default environment is the demo tenant's
        return None
    control("POST", "tenants", {"environment": ENVIRONMENT})
    for name, first, last, email, currency in ACCOUNTS:
        control(
            "POST",
            "records/account",
            {
                "environment": ENVIRONMENT,
                "name": name,
                "currency": currency,
                "paymentTerm": "Net 30",
                "billToContact": {"firstName": first, "lastName": last, "workEmail": email},
            },
        )
    return {"zuora accounts": len(ACCOUNTS)}
