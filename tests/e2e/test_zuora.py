"""FreshBooks -> Zuora in the browser: connect Zuora by its login address, check the fit, enable, and see an
invoice land as a posted Invoice on the client's Account (found by its bill-to e-mail)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import connect_freshbooks, control, log_in, screenshot
from tests.helpers.sandboxes import ACCOUNT

pytestmark = pytest.mark.e2e


def test_a_customer_connects_zuora_checks_the_fit_enables_and_sees_the_posted_invoice(
    sandbox_server, at_live_server, owner_a, new_page
):
    client = control(
        sandbox_server,
        "freshbooks",
        "POST",
        "records/client",
        {"account_id": ACCOUNT, "organization": "Acme Corp", "email": "billing@acme.example"},
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
    control(
        sandbox_server,
        "zuora",
        "POST",
        "records/account",
        {
            "environment": "us-sandbox-2",
            "name": "Acme Billing",
            "currency": "USD",
            "billToContact": {"firstName": "Ann", "lastName": "Lee", "workEmail": "billing@acme.example"},
        },
    )
    control(sandbox_server, "freshbooks", "POST", "outbox/policy", {"delay_seconds": 3600})

    page = new_page()
    log_in(page, at_live_server, owner_a)
    nav = page.get_by_role("navigation", name="Main")
    connect_freshbooks(page, nav)

    nav.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Connect Zuora").click()
    page.get_by_label("Or the address you log in at").fill("https://apisandbox.zuora.com/apps/Home.do")
    page.get_by_label("Client ID").fill("sandbox-zuora-client")
    page.get_by_label("Client secret").fill("wrong")
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_text("belong to US API Sandbox (Cloud 2)")).to_be_visible()
    screenshot(page, "zuora-connect-refuses-wrong-credentials")
    page.get_by_label("Client secret").fill("sandbox-zuora-secret")
    page.get_by_role("button", name="Check and connect").click()
    expect(page.get_by_text("Zuora is connected")).to_be_visible()
    screenshot(page, "zuora-connected")

    nav.get_by_role("link", name="Integrations").click()
    kind = "FreshBooks -> Zuora: Accounts, Invoices and applied Payments in billing"
    page.get_by_label("Kind").select_option(label=kind)
    page.get_by_label("From").select_option(label="FreshBooks (freshbooks)")
    page.get_by_label("To").select_option(label="Zuora (zuora)")
    page.get_by_role("button", name="Create (switched off)").click()
    page.get_by_role("link", name="Fit check").click()
    page.get_by_role("button", name="Run the fit check").click()
    expect(page.locator("td", has_text="Acme Billing")).to_be_visible(timeout=15000)
    screenshot(page, "zuora-fit-check")

    nav.get_by_role("link", name="Integrations").click()
    page.get_by_role("link", name=kind).click()
    page.get_by_role("button", name="Enable").click()
    expect(page.get_by_text("Enabled", exact=True)).to_be_visible()

    def invoices():
        return control(sandbox_server, "zuora", "GET", "records/invoice?environment=us-sandbox-2")["records"]

    for _ in range(50):
        if invoices():
            break
        page.wait_for_timeout(200)
    [invoice] = invoices()
    assert invoice["status"] == "Posted" and invoice["amount"] == 1200.0
    accounts = control(sandbox_server, "zuora", "GET", "records/account?environment=us-sandbox-2")["records"]
    [acme] = accounts
    assert invoice["accountId"] == acme["id"] and acme["FreshBooksClientId__c"] == str(client["id"])

    page.get_by_label("Poll FreshBooks for changes no webhook announced").select_option(label="Every 15 minutes")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_text("Polling: every 15 minutes.")).to_be_visible()
    screenshot(page, "zuora-integration-enabled-with-polling")

    page.goto(f"{at_live_server}/jobs/")
    page.locator("tr", has_text="invoice").get_by_role("link").first.click()
    expect(page.get_by_text("Created invoice")).to_be_visible()
    page.get_by_text("Trace").last.click()  # the invoice POST: its idempotency key and track id
    expect(page.locator("details[open] pre", has_text="Idempotency-Key")).to_contain_text("Zuora-Track-Id")
    screenshot(page, "zuora-job-timeline-with-track-id")
