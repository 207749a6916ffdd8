"""A customer connects FreshBooks and Zendesk through the providers' OAuth pages and sees Test connection pass.

The consent pages are the sandbox's (`manage.py sandbox`, started on a free port; the live server is pointed at
it with SANDBOX_URL, as `make demo` does): the browser really leaves the app and comes back.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, screenshot

pytestmark = pytest.mark.e2e


def test_a_customer_connects_freshbooks_and_zendesk_and_tests_both(sandbox_server, at_live_server, owner_a, new_page):
    page = new_page()
    log_in(page, at_live_server, owner_a)
    nav = page.get_by_role("navigation", name="Main")

    nav.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Connect FreshBooks").click()
    page.get_by_role("button", name="Continue to FreshBooks").click()
    assert page.url.startswith(sandbox_server), "the consent page is the provider's, not ours"
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("button", name="Use this business")).to_be_visible()
    page.get_by_label("Sandbox Studio").check()
    page.get_by_role("button", name="Use this business").click()
    expect(page.get_by_text("FreshBooks is connected to Sandbox Studio")).to_be_visible()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator(".message.success", has_text="signed in as")).to_be_visible()
    screenshot(page, "customer-connects-freshbooks-and-tests-it")

    nav.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Connect Zendesk").click()
    page.get_by_label("Subdomain").fill("acme")
    page.get_by_role("button", name="Continue to Zendesk").click()
    assert page.url.startswith(sandbox_server)
    page.get_by_role("button", name="Allow").click()
    expect(page.get_by_role("button", name="Test connection")).to_be_visible()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator(".message.success")).to_be_visible()
    screenshot(page, "customer-connects-zendesk-and-tests-it")

    nav.get_by_role("link", name="Connections").click()
    expect(page.locator("tr", has_text="FreshBooks").get_by_text("Active")).to_be_visible()
    expect(page.locator("tr", has_text="Zendesk").get_by_text("Active")).to_be_visible()
    screenshot(page, "customer-connections")
