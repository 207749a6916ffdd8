"""Browser tests: Playwright driving the system's Chromium against pytest-django's live server.

Run with `make e2e` (they are left out of `make test`). Everything here is marked `e2e`. Playwright never
downloads a browser of its own: it launches CHROMIUM (default /usr/bin/chromium, Debian's package).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.helpers import SCREENSHOTS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (or set CHROMIUM).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make beside it are
    # synchronous, so Django's guard against ORM use inside an event loop is lifted while the browser runs.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def new_page(browser, request):
    """Pages in fresh browser contexts (separate cookies: separate people); a screenshot of each on failure.
    Anything the Content-Security-Policy blocked on the way fails the test: a page must not need it relaxed."""
    contexts, pages, blocked = [], [], []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        pages.append(context.new_page())
        pages[-1].on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
        return pages[-1]

    yield make
    if getattr(request.node, "failed_call", False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for n, page in enumerate(pages):
            page.screenshot(path=str(SCREENSHOTS / f"failed-{request.node.name}-{n}.png"), full_page=True)
    for context in contexts:
        context.close()
    assert blocked == [], f"the Content-Security-Policy blocked: {blocked}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sandbox_server(settings):
    """`manage.py sandbox` on a free port, the live server pointed at it (SANDBOX_URL), as `make demo` does."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, str(root / "manage.py"), "sandbox", "--port", str(port)],
        env={**os.environ, "SANDBOX_URL": url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the sandbox server did not start")
        settings.SANDBOX_URL = url
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def at_live_server(settings, live_server):
    """The OAuth redirect and webhook URLs are built from PUBLIC_BASE_URL: here, the live server."""
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server.url
