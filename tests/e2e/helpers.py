"""Steps every browser journey takes: log in, and keep a screenshot of where it ended."""

from pathlib import Path

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
