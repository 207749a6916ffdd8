"""An admin finds a failed job in the audit log, reads its timeline and replays it.

The sync ran for real against the sandbox emulators (in process, like tests/syncs/engine/test_engine.py): Zendesk
refused the organization because one of that name existed. The admin sees it fail, removes the cause in
Zendesk, replays from the timeline, and the new job writes it.
"""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import log_in, screenshot

pytestmark = pytest.mark.e2e


def test_an_admin_finds_a_failed_job_reads_its_timeline_and_replays_it(
    live_server, new_page, failed_job, admin_a, sandbox
):
    page = new_page()
    log_in(page, live_server.url, admin_a)
    expect(page.get_by_text("failed and wait for a replay")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log").click()
    page.get_by_label("Level").select_option("error")
    page.get_by_role("button", name="Filter").click()
    failed_row = page.locator("tr", has_text="job.failed")
    expect(failed_row).to_be_visible()
    failed_row.get_by_role("link", name="job timeline").click()

    expect(page.get_by_role("heading", name=f"Job for client:{failed_job.source_id}")).to_be_visible()
    expect(page.get_by_role("heading", name="Inbound event")).to_be_visible()
    timeline = page.locator("ol.timeline")
    expect(timeline.get_by_text("Mapped", exact=True)).to_be_visible()
    expect(timeline.get_by_text("Match decision")).to_be_visible()
    expect(timeline.get_by_text("has already been taken").first).to_be_visible()
    timeline.locator("details", has_text="Output").first.locator("summary").click()
    expect(timeline.get_by_text('"name": "Taken Name"').first).to_be_visible()

    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_text("Dry run: what would be written")).to_be_visible()
    page.go_back()

    sandbox["zendesk"].account("acme").organizations.clear()  # the duplicate is merged away in Zendesk
    page.reload()
    page.get_by_role("button", name="Replay").click()
    expect(page.get_by_text("Replay started")).to_be_visible()
    expect(page.locator("h1 .status")).to_have_text("Succeeded")
    expect(page.get_by_text("Created organization")).to_be_visible()
    screenshot(page, "admin-replays-a-failed-job")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Failures").click()
    expect(page.get_by_text("Nothing has failed")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.locator(".integration-health")).to_be_visible()
    screenshot(page, "dashboard-after-the-replay")
