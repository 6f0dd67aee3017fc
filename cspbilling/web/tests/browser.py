"""The browser every console and portal test drives: Debian's chromium through Playwright.

Import `sign_in` from here; the `browser` fixture is registered for every app's tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cspbilling.web.tests.fixtures import TEST_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser():
    # Never skipped: without chromium this fails (always under CSPBILLING_REQUIRE_BROWSER=1).
    if not Path(CHROMIUM).exists():
        required = os.environ.get("CSPBILLING_REQUIRE_BROWSER") == "1"
        pytest.fail(
            f"no chromium at {CHROMIUM} (apt-get install chromium)"
            + (" and CSPBILLING_REQUIRE_BROWSER=1" if required else "")
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit]:has-text('Sign in'), button[type=submit]:has-text('登录')")
