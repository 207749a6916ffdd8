"""The demo company in Salesforce: the org `acme` (production edition) as a sales team keeps it before
ml-connector arrives. Its Accounts are named the way people type them, not the way FreshBooks has them
("Acme Corporation" for FreshBooks' "Acme Corp", "Smith and Sons Ltd" for "Smith & Sons"), two have no
FreshBooks client at all, and none carries a FreshBooks id yet; an account owner, a few Opportunities in
several stages and two Orders complete it. Both External ID fields exist (every org starts with them).

`seed(control)` drives the running sandbox's control API (`manage.py seed_sandbox`); it seeds once.
"""

from datetime import timedelta

from django.utils import timezone

MY_DOMAIN = "acme"

# (Account, city, country, industry, FreshBooks client it stands for or None)
ACCOUNTS = (
    ("Acme Corporation", "Springfield", "United States", "Manufacturing", "Acme Corp"),
    ("Smith and Sons Ltd", "Leeds", "United Kingdom", "Retail", "Smith & Sons"),
    ("Globex Industrial Holdings", "Cypress Creek", "United States", "Energy", "Globex Industrial"),
    ("Initech, Inc.", "Austin", "United States", "Technology", "Initech"),
    ("Stark Analytics", "New York", "United States", "Consulting", "Stark Analytics"),
    ("Wayne Logistics LLC", "Gotham", "United States", "Transportation", "Wayne Logistics"),
    ("Cyberdyne Systems", "Sunnyvale", "United States", "Technology", None),
    ("Wonka Industries", "Chicago", "United States", "Food & Beverage", None),
)
# (Opportunity, Account, stage, amount, days until close: negative for the past)
OPPORTUNITIES = (
    ("Acme Corporation - Support plan 2026", "Acme Corporation", "Negotiation/Review", 1200, 20),
    ("Globex - Consulting hours", "Globex Industrial Holdings", "Proposal/Price Quote", 900, 35),
    ("Initech - Onboarding", "Initech, Inc.", "Closed Won", 450, -12),
    ("Cyberdyne - Pilot", "Cyberdyne Systems", "Prospecting", 5000, 60),
    ("Wonka - Seasonal campaign", "Wonka Industries", "Closed Lost", 2500, -30),
)
# (Account, status, total, days ago it took effect)
ORDERS = (("Acme Corporation", "Draft", 0, 3), ("Stark Analytics", "Activated", 3600, 40))


def seed(control) -> dict[str, int] | None:
    """Create the org's records through `control(method, action, body)`; None when it has Accounts already."""
    orgs = control("GET", "state")["state"].get("orgs", {})
    if (orgs.get(MY_DOMAIN) or {}).get("records", {}).get("Account"):
        return None
    control("POST", "orgs", {"my_domain": MY_DOMAIN, "edition": "production"})
    owner = control(
        "POST",
        "records/user",
        {"my_domain": MY_DOMAIN, "FirstName": "Priya", "LastName": "Natarajan", "Username": "priya@acme.example.com"},
    )
    today = timezone.now().date()
    accounts = {}
    for name, city, country, industry, _client in ACCOUNTS:
        body = {
            "my_domain": MY_DOMAIN,
            "Name": name,
            "BillingCity": city,
            "BillingCountry": country,
            "Industry": industry,
            "Type": "Customer - Direct",
            "OwnerId": owner["id"],
        }
        accounts[name] = control("POST", "records/account", body)["id"]
    for name, account, stage, amount, days in OPPORTUNITIES:
        body = {
            "my_domain": MY_DOMAIN,
            "Name": name,
            "AccountId": accounts[account],
            "StageName": stage,
            "Amount": amount,
            "CloseDate": (today + timedelta(days=days)).isoformat(),
            "OwnerId": owner["id"],
        }
        control("POST", "records/opportunity", body)
    for account, status, total, days_ago in ORDERS:
        body = {
            "my_domain": MY_DOMAIN,
            "AccountId": accounts[account],
            "Status": status,
            "EffectiveDate": (today - timedelta(days=days_ago)).isoformat(),
            "TotalAmount": total,
        }
        control("POST", "records/order", body)
    return {"accounts": len(ACCOUNTS), "opportunities": len(OPPORTUNITIES), "orders": len(ORDERS)}
