"""Issue #15: axe-core over every console page, as root and (the public pages) logged out, in light
and dark mode at 1400 x 1000, with no violation of impact "serious" or "critical".

axe-core comes from tools/package.json (`npm ci --prefix tools`, run by `make setup`); its
`axe.min.js` is injected into each loaded page. test_accessibility_browser.py checks what axe does
not (one h1, landmarks, aria-current, titles).
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import (
    AXE,
    PUBLIC_ROUTES,
    ROOT_NAME,
    ROOT_PASSWORD,
    USER_ROUTES,
    WAIT,
    Api,
    ConsoleServer,
    Page,
    axe_violations,
    chromium,
    login,
)

pytestmark = pytest.mark.skipif(not AXE.is_file(),
                                reason=f"axe-core is not installed ({AXE} missing): run `make setup`")

# Every page of the sidebar, plus the ones reached from links (legal pages, prefill groups).
ROOT_ROUTES = (*USER_ROUTES, "/prefill_groups", "/user-agreement", "/privacy-policy")
# Logged out: the bare pages, the visitor's home, an unknown address (the 404 page) and the public ones.
VISITOR_ROUTES = (*PUBLIC_ROUTES, "/", "/no-such-page", "/pricing", "/about")
# The create dialogs (the forms a page hides until asked): route, the button that opens one.
DIALOGS = (("/channel", "ch-add"), ("/token", "t-add"), ("/user", "u-add"), ("/redemption", "r-add"),
           ("/models", "m-add"), ("/vendors", "v-add"), ("/admin/plans", "plan-add"))


@pytest.fixture(scope="module")
def seeded(server: ConsoleServer) -> ConsoleServer:
    """A row in each main table, so axe also sees rows, their status badges and row actions (an empty
    table shows none of them). The channel's address is never called."""
    api = Api(server.url).login(ROOT_NAME, ROOT_PASSWORD)
    api.call("POST", "/api/channel/", {"mode": "single", "channel": {
        "type": 1, "name": "axe-channel", "key": "sk-axe", "base_url": "http://127.0.0.1:9", "models": "gpt-4o"}})
    api.call("POST", "/api/token/", {"name": "axe-key", "unlimited_quota": True, "expired_time": -1})
    api.call("POST", "/api/redemption/", {"name": "axe-code", "quota": 500_000, "count": 1})
    api.call("POST", "/api/user/", {"username": "axe-user", "password": "password123"})
    return server


def _settle(page: Page, route: str) -> None:
    """The page rendered: its h1 is there and the websocket's first state has arrived (no spinner)."""
    WebDriverWait(page.d, WAIT).until(
        lambda d: d.find_elements(By.TAG_NAME, "h1") and d.execute_script("return document.readyState") == "complete",
        f"{route} never rendered its h1")
    WebDriverWait(page.d, WAIT).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, ".rt-Spinner, [data-loading='true']"),
        f"{route} kept spinning")


def _violations(page: Page, route: str, mode: str) -> list[str]:
    """axe's serious and critical violations on the loaded page, one line each."""
    page.open(route)
    _settle(page, route)
    dark = page.d.execute_script("return document.documentElement.classList.contains('dark')")
    assert dark == (mode == "dark"), f"{route} is not in {mode} mode"
    return [f"{route} [{mode}] {line}" for line in axe_violations(page)]


def _dialog_violations(page: Page, route: str, button: str, mode: str) -> list[str]:
    """axe over the page with the dialog `button` opens."""
    page.open(route)
    _settle(page, route)
    page.click(button)
    page.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[role='dialog']"), f"#{button} opened no dialog")
    return [f"{route} #{button} dialog [{mode}] {line}" for line in axe_violations(page)]


def _set_mode(page: Page, mode: str) -> None:
    """Reflex keeps the colour mode in localStorage ("theme"); set it once, every load then uses it."""
    page.open("/login")
    page.d.execute_script("localStorage.setItem('theme', arguments[0])", mode)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_root_pages_have_no_serious_axe_violations(seeded: ConsoleServer, page: Page, mode: str) -> None:
    login(page, ROOT_NAME, ROOT_PASSWORD)
    _set_mode(page, mode)
    found: list[str] = []
    for route in ROOT_ROUTES:
        found += _violations(page, route, mode)
    for route, button in DIALOGS:
        found += _dialog_violations(page, route, button, mode)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_public_pages_logged_out_have_no_serious_axe_violations(server: ConsoleServer, mode: str) -> None:
    visitor = Page(chromium(width=1400, height=1000), server.url)
    try:
        _set_mode(visitor, mode)
        found: list[str] = []
        for route in VISITOR_ROUTES:
            found += _violations(visitor, route, mode)
    finally:
        visitor.d.quit()
    assert found == [], "\n".join(found)
