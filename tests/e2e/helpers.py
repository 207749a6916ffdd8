"""Steps every browser journey takes: log in, connect FreshBooks, drive the sandbox, keep a screenshot."""

from pathlib import Path

import requests
from playwright.sync_api import expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def log_in(page, base_url, user):
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def screenshot(page, name: str) -> None:
    """The page at the end of a journey, for docs/screenshots/ (referenced from the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def control(sandbox_server, slug, method, action, body=None):
    """The sandbox's control API (records someone made at the provider, its faults and policies)."""
    answer = requests.request(method, f"{sandbox_server}/_sandbox/{slug}/api/{action}", json=body, timeout=10)
    answer.raise_for_status()
    return answer.json()


def connect_freshbooks(page, nav):
    """Through the sandbox's consent page, choosing the business "Sandbox Studio"."""
    nav.get_by_role("link", name="Connections").click()
    page.get_by_role("link", name="Connect FreshBooks").click()
    page.get_by_role("button", name="Continue to FreshBooks").click()
    page.get_by_role("button", name="Allow").click()
    page.get_by_label("Sandbox Studio").check()
    page.get_by_role("button", name="Use this business").click()
    expect(page.get_by_text("FreshBooks is connected to Sandbox Studio")).to_be_visible()
