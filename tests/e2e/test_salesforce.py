"""FreshBooks -> Salesforce in the browser: connect Salesforce with its app's credentials, check the fit, enable,
and see an invoice land as an Opportunity in the sandbox org."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import connect_freshbooks, control, log_in, screenshot
from tests.helpers.sandboxes import ACCOUNT

pytestmark = pytest.mark.e2e


def test_a_customer_connects_salesforce_checks_the_fit_enables_and_sees_the_opportunity(
    sandbox_server, at_live_server, owner_a, new_page
):
    client = control(
        sandbox_server,
        "freshbooks",
        "POST",
        "records/client",
        {"account_id": ACCOUNT, "organization": "Acme Corp", "email": "ap@acme.example"},
    )
    control(
        sandbox_server,
        "freshbooks",
        "POST",
        "records/invoice",
        {
            "account_id": ACCOUNT,
            "customerid": client["id"],
            "status": 2,
            "line_name": "Support plan",
            "qty": "1",
            "unit_cost": "1200.00",
        },
    )
    control(sandbox_server, "salesforce", "POST", "records/Account", {"my_domain": "acme", "Name": "Acme Corporation"})
    # FreshBooks' webhook deliveries wait: here the backlog that enabling processes is what lands (and SQLite's
    # in-memory test database takes one writer at a time).
    control(sandbox_server, "freshbooks", "POST", "outbox/policy", {"delay_seconds": 3600})

    page = new_page()
    log_in(page, at_live_server, owner_a)
    nav = page.get_by_role("navigation", name="Main")
    connect_freshbooks(page, nav)

    nav.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Connect Salesforce").click()
    page.get_by_label("My Domain URL").fill("acme.lightning.force.com")
    page.get_by_label("Consumer key").fill("sandbox-salesforce-client")
    page.get_by_label("Consumer secret").fill("sandbox-salesforce-secret")
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_text("not of its API")).to_be_visible()
    screenshot(page, "salesforce-connect-refuses-the-lightning-address")
    page.get_by_label("My Domain URL").fill("https://acme.my.salesforce.com")
    page.get_by_label("Consumer secret").fill("sandbox-salesforce-secret")
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_text("Salesforce is connected")).to_be_visible()
    screenshot(page, "salesforce-connected-with-client-credentials")

    nav.get_by_role("link", name="Integrations").click()
    page.get_by_label("Kind").select_option(
        label="FreshBooks -> Salesforce: Accounts and Opportunities, closed-won on payment"
    )
    page.get_by_label("From").select_option(label="FreshBooks (freshbooks)")
    page.get_by_label("To").select_option(label="Salesforce (salesforce)")
    page.get_by_role("button", name="Create (switched off)").click()
    page.get_by_role("link", name="Fit check").click()
    page.get_by_role("button", name="Run the fit check").click()
    expect(page.get_by_text("1 customer")).to_be_visible(timeout=15000)
    expect(page.locator("td", has_text="Acme Corporation")).to_be_visible()
    screenshot(page, "salesforce-fit-check")

    nav.get_by_role("link", name="Integrations").click()
    page.get_by_role("link", name="FreshBooks -> Salesforce: Accounts and Opportunities, closed-won on payment").click()
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_text("Enabled", exact=True)).to_be_visible()
    screenshot(page, "salesforce-integration-enabled")

    def deals():
        return control(sandbox_server, "salesforce", "GET", "records/Opportunity?my_domain=acme")["records"]

    for _ in range(50):
        if deals():
            break
        page.wait_for_timeout(200)
    [deal] = deals()
    assert deal["Name"].startswith("Invoice ") and "Acme Corp" in deal["Name"]
    accounts = control(sandbox_server, "salesforce", "GET", "records/Account?my_domain=acme")["records"]
    [acme] = [a for a in accounts if a["Name"] == "Acme Corporation"]
    assert acme["FreshBooks_Client_Id__c"] == str(client["id"]), "the existing Account was matched, not duplicated"
