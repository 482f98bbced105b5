"""Browser tests: Debian's chromium driven by Playwright's sync API against pytest-django's
live server. Every test here is marked `browser` and skipped, visibly, when chromium or
playwright is missing."""

import os
import shutil
from pathlib import Path

import pytest

try:
    from playwright import sync_api
except ImportError:  # pragma: no cover - the suite's requirements include playwright
    sync_api = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# fixtures around it are then refused as "async unsafe" unless this is set.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    missing = None
    if sync_api is None:
        missing = "playwright is not installed"
    elif not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        missing = f"{CHROMIUM} is missing: install Debian's chromium package to run browser tests"
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason=missing))


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def expect():
    return sync_api.expect


def log_in(page, base_url: str, email: str, password: str, *, next_path: str = "") -> None:
    """Log in through the site's (allauth) form; the admin's log-in redirects there too."""
    page.goto(f"{base_url}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form", has=page.locator("input[name=password]")).locator(
        "button[type=submit]"
    ).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
