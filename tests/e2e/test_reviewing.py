"""An agent works the review queue in the browser: htmx search, a one-click link, the row and counter update."""

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from syncs import review
from syncs.models import RecordLink
from tests.e2e.helpers import log_in, screenshot
from tests.factories import MembershipFactory
from tests.helpers.review import integration_of, mirrored, open_item

pytestmark = pytest.mark.e2e


def test_an_agent_searches_links_and_dismisses_in_the_review_queue(live_server, new_page, tenant_a):
    review.forget_indexes()
    integration = integration_of(tenant_a)
    mirrored(integration, 10, "Acme Corporation Holdings")
    mirrored(integration, 11, "Acme Rockets")
    acme = open_item(integration)
    open_item(integration, "Umbrella", source_id="c2", candidates=())
    with scopes_disabled():
        agent = MembershipFactory(tenant=tenant_a, role="agent").user

    page = new_page()
    log_in(page, live_server.url, agent)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    expect(page.locator("#review-count")).to_have_text("2")
    row = page.locator(f"#item-{acme.uuid}")
    expect(row.get_by_text("Acme Corporation Holdings")).to_be_visible()
    row.get_by_placeholder("Search for another record…").fill("rockets")
    expect(row.locator(".search-results").get_by_text("Acme Rockets")).to_be_visible()
    screenshot(page, "review-queue-search")
    row.get_by_role("button", name="Link Acme Corp to Acme Rockets").click()
    expect(page.locator(f"#item-{acme.uuid}")).to_contain_text("is linked to organization 11")
    expect(page.locator("#review-count")).to_have_text("1")

    page.locator("tr", has_text="Umbrella").get_by_role("button", name="Not a match").click()
    expect(page.locator("tr", has_text="Umbrella")).to_contain_text("marked as not a match")
    expect(page.locator("#review-count")).to_be_hidden()
    with scopes_disabled():
        assert RecordLink.objects.get().target_id == "11"
