"""Issue #15 item 10 in a real browser: a row's action icons stay on one line at 1440 px, the
notification threshold is typed in dollars, the dashboard's date range has presets, and the
full-key dialog does not open again when the user comes back to the API keys page.
(The root row offering only Edit is checked in test_admin_pages_browser.py.)
Screenshots: artifacts/screenshots/tables-*.png."""

from __future__ import annotations

import json
from datetime import date, timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from newapi_ui.states.channels import response_time_text
from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, ConsoleServer, Page, login

WINDOW = (1440, 900)


def test_channel_test_times_read_in_milliseconds() -> None:
    assert response_time_text(1234) == "1234 ms"
    assert response_time_text(0) == "—"  # never tested


def test_action_icons_stay_on_one_line(server: ConsoleServer, page: Page) -> None:
    login(page, ROOT_NAME, ROOT_PASSWORD)
    page.open("/channel")
    page.click("ch-add")
    page.fill("ch-name", "a-channel-with-a-rather-long-name-for-the-table")
    page.fill("ch-key", "sk-one")
    page.fill("ch-model-input", "gpt-4o")
    page.click("ch-model-add")
    page.click("ch-save")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "ch-form"))
    ((cid,),) = server.query("SELECT id FROM channels")
    page.el(f"ch-delete-{cid}")
    tops = page.d.execute_script(
        "const row = document.getElementById(arguments[0]);"
        "return Array.from(row.lastElementChild.querySelectorAll('button')).map(b => Math.round(b.getBoundingClientRect().top))",
        f"channels-table-row-{cid}")
    assert len(tops) >= 5 and len(set(tops)) == 1, tops
    page.shot("tables-channels-1440")


def test_threshold_in_dollars_presets_and_the_key_dialog(server: ConsoleServer, page: Page) -> None:
    login(page, ROOT_NAME, ROOT_PASSWORD)
    page.open("/setting")
    page.fill("threshold", "0.5")  # $0.50 = 250,000 quota units
    page.click("save-notify")
    page.wait_body_text("Saved")
    setting = json.loads(server.query("SELECT setting FROM users WHERE id = 1")[0][0])
    assert setting["quota_warning_threshold"] == 250_000
    page.wait_text("threshold-note", "250,000")
    page.open("/setting")
    page.wait_value("threshold", "0.5")

    page.open("/detail")
    page.click("dash-preset-7")
    today = date.today()  # the browser and the server share the machine's zone here
    page.wait_value("start_date", (today - timedelta(days=6)).isoformat())
    page.wait_value("end_date", today.isoformat())
    page.click("dash-preset-1")
    page.wait_value("start_date", today.isoformat())
    page.shot("tables-dashboard-presets")

    page.open("/token")
    page.click("t-add")
    page.fill("t-name", "reveal-once")
    page.click("t-save")
    WebDriverWait(page.d, WAIT).until(lambda _d: server.query("SELECT id FROM tokens WHERE name = 'reveal-once'"))
    ((tid,),) = server.query("SELECT id FROM tokens WHERE name = 'reveal-once'")
    page.click(f"t-copy-{tid}")
    page.el("t-key-value")
    # Away without closing the dialog (a script click: the open dialog covers the sidebar), then back.
    page.d.execute_script("document.getElementById('nav-log').click()")
    page.wait_path("/log")
    page.click("nav-token")
    page.wait_path("/token")
    page.el(f"t-copy-{tid}")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "t-key-value"), "the key came back")
