"""The prefill groups page in a real browser (served like `make run`, fresh SQLite): a group added,
edited, filtered by type and deleted, checked in the database."""

from __future__ import annotations

import json

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import WAIT, ConsoleServer, Page


def _rows(page: Page, count: int, needle: str = "") -> list[str]:
    """The table's rows once it has `count` of them and one shows `needle`."""
    found: list[str] = []

    def check(d) -> bool:
        found[:] = [r.text for r in d.find_elements(By.CSS_SELECTOR, "#pg-table tbody tr")]
        return len(found) == count and any(needle in r for r in found)

    WebDriverWait(page.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        check, f"#pg-table never had {count} rows showing {needle!r}")
    return found


def _pick(page: Page, select_id: str, label: str) -> None:
    page.click(select_id)
    WebDriverWait(page.d, WAIT).until(lambda d: [o for o in d.find_elements(By.CSS_SELECTOR, "[role=option]")
                                                 if o.text == label])[0].click()


def test_prefill_groups(server: ConsoleServer, page: Page) -> None:
    page.login()
    page.click("nav-prefill_groups")
    page.wait_path("/prefill_groups")
    page.click("pg-add")
    page.fill("pg-f-name", "chat models")
    page.fill("pg-f-items", "gpt-4o, claude-x\ngpt-4o\n")
    page.click("pg-save")
    _rows(page, 1, "chat models")
    ((gid, items, type_),) = server.query("SELECT id, items, type FROM prefill_groups WHERE deleted_at IS NULL")
    assert json.loads(items) == ["gpt-4o", "claude-x"] and type_ == "model"

    page.click("pg-add")
    page.fill("pg-f-name", "labels")
    _pick(page, "pg-f-type", "Tags")
    page.fill("pg-f-items", "fast")
    page.click("pg-save")
    _rows(page, 2, "labels")

    page.click(f"pg-edit-{gid}")
    page.wait_value("pg-f-name", "chat models")
    page.fill("pg-f-description", "for chat channels")
    page.click("pg-save")
    _rows(page, 2, "for chat channels")

    _pick(page, "pg-filter", "Tags")
    _rows(page, 1, "labels")
    _pick(page, "pg-filter", "All")
    _rows(page, 2)
    page.click(f"pg-delete-{gid}")
    page.click("pg-confirm-ok")
    assert "chat models" not in _rows(page, 1, "labels")[0]
    page.shot("prefill-groups")
