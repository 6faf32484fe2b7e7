"""Issue #15 item 5 in a real browser: a key's name stops at new-api's 50 characters and says so,
long names are cut with an ellipsis in tables (the whole name in the cell's tooltip), table
headers in 日本語 and 简体中文 stay on one line ("プロンプト" never stacks a character a line), and
the playground fits a 390 px phone. Screenshots: artifacts/screenshots/long-*.png."""

from __future__ import annotations

from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, ConsoleServer, Page, chromium, login

LONG = "an-api-key-name-that-goes-on-and-on-well-past-the-fifty-character-limit"


PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}


def test_key_name_limit_and_ellipsis(server: ConsoleServer, page: Page) -> None:
    login(page, ROOT_NAME, ROOT_PASSWORD)
    page.open("/token")
    page.click("t-add")
    page.fill("t-name", LONG)
    page.wait_value("t-name", LONG[:50])
    page.wait_text("t-name-limit", "50 / 50")
    page.wait_text("t-name-limit", "That is the most this field takes")
    page.click("t-save")
    WebDriverWait(page.d, WAIT).until(lambda _d: server.query("SELECT name FROM tokens") == [(LONG[:50],)])
    ((tid,),) = server.query("SELECT id FROM tokens")
    page.el(f"t-copy-{tid}")
    cut = page.d.execute_script(
        "const cell = Array.from(document.querySelectorAll('#tokens-table tbody td'))"
        "  .find(td => td.getAttribute('title') === arguments[0]);"
        "return cell ? [cell.scrollWidth > cell.clientWidth, getComputedStyle(cell).textOverflow] : null", LONG[:50])
    assert cut == [True, "ellipsis"], cut
    page.shot("long-token-name")


def test_cjk_headers_stay_on_one_line(server: ConsoleServer) -> None:
    for code, accept, header in (("ja", "ja-JP,ja", "プロンプト"), ("zh_CN", "zh-CN,zh", "提示")):
        page = Page(chromium(width=1280, height=900, accept_language=accept), server.url)
        try:
            login(page, ROOT_NAME, ROOT_PASSWORD)
            page.open("/log")
            page.wait_body_text(header)
            heights = page.d.execute_script(
                "return Array.from(document.querySelectorAll('thead th'))"
                ".filter(th => th.innerText.trim()).map(th => Math.round(th.getBoundingClientRect().height))")
            assert heights and max(heights) - min(heights) <= 2, heights  # no header wraps
            page.shot(f"long-log-headers-{code}")
        finally:
            page.d.quit()


def test_playground_fits_a_phone(server: ConsoleServer) -> None:
    page = Page(chromium(width=390, height=844), server.url)
    try:
        login(page, ROOT_NAME, ROOT_PASSWORD)
        page.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)  # headless windows are 500 px at least
        page.open("/playground")
        page.el("prompt")
        assert page.d.execute_script("return document.documentElement.scrollWidth") <= 390
        page.shot("long-playground-phone")
    finally:
        page.d.quit()
