"""The performance page in a real browser (served like `make run`, fresh SQLite): the worker's
figures, a garbage collection and a statistics reset."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import WAIT, ConsoleServer, Page


def test_performance_page(server: ConsoleServer, page: Page) -> None:
    page.login()
    page.click("nav-performance")
    page.wait_path("/performance")
    WebDriverWait(page.d, WAIT).until(lambda _d: page.el("perf-rss").text.endswith("MiB"), "no memory figure")
    assert ":" in page.el("perf-uptime").text and int(page.el("perf-threads").text) >= 1
    rows = [r.text for r in page.d.find_elements(By.CSS_SELECTOR, "#perf-details tbody tr")]
    assert any(r.startswith("caches tokens.max_found") for r in rows), rows
    assert any(r.startswith("ledger pending_rows") for r in rows)
    page.click("perf-gc")
    page.wait_body_text("Garbage collection freed")
    page.click("perf-reset")
    page.wait_body_text("figures start again now")
    page.shot("performance")
