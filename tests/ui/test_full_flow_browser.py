"""The whole console journey in a real browser, as a new operator would take it: fresh start → setup
wizard → login → a channel pointing at a fake upstream → an API key made and copied on the API keys
page → a chat through the console server's /v1 with the official openai SDK and that key → the log
row and the dashboard numbers → the console in 日本語.

Screenshots of each step land in artifacts/screenshots/flow-*.png.
"""

from __future__ import annotations

import openai
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fakes.upstream import FakeUpstream
from tests.support import wait_until
from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, ConsoleServer, Page, chromium

MODEL = "gpt-4o-mini"
FRESH_START = True  # the setup wizard is the journey's first step
CONSOLE_ENV = {"BATCH_UPDATE_INTERVAL": "0.5"}  # the ledger's flush, so the dashboard moves promptly


def _rows(page: Page, table_id: str) -> list[str]:
    return page.d.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(r => r.innerText.trim())", f"#{table_id} tbody tr")


def _wait_rows(page: Page, table_id: str, predicate) -> list[str]:
    found: list[list[str]] = []

    def check(_d: object) -> bool:
        found[:] = [_rows(page, table_id)]
        return bool(predicate(found[0]))

    WebDriverWait(page.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(
        check, f"#{table_id} rows never matched")
    return found[0]


def _go(page: Page, route: str) -> None:
    page.click("nav-" + route.strip("/"))
    page.wait_path(route)


def _gone(page: Page, element_id: str) -> None:
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, element_id), f"#{element_id} stayed")


def test_fresh_start_to_a_logged_chat_and_japanese(server: ConsoleServer, fake: FakeUpstream) -> None:
    driver = chromium(width=1400, height=1000)
    page = Page(driver, server.url)
    try:
        # Fresh start: every page leads to the setup wizard.
        page.open("/")
        page.wait_path("/setup")
        page.wait_body_text("Create the root account")
        page.shot("flow-1-setup")
        page.fill("username", ROOT_NAME)
        page.fill("password", ROOT_PASSWORD)
        page.fill("confirm", ROOT_PASSWORD)
        page.click("submit")
        page.wait_path("/login")
        page.wait_body_text("Setup complete")

        # Login.
        page.fill("username", ROOT_NAME)
        page.fill("password", ROOT_PASSWORD)
        page.click("submit")
        page.wait_path("/")
        page.wait_text("current-user", ROOT_NAME)
        page.shot("flow-2-home")

        # A channel to the fake upstream, made in the Channels page.
        _go(page, "/channel")
        page.click("ch-add")
        page.wait_value("ch-base-url", "https://api.openai.com")  # OpenAI is the default type
        page.fill("ch-name", "fake-openai")
        page.fill("ch-key", "sk-upstream-flow")
        page.fill("ch-base-url", fake.url)
        page.fill("ch-model-input", MODEL)
        page.click("ch-model-add")
        page.wait_text("ch-models", MODEL)
        # The fake reports the usage this header asks for: enough tokens to show in cents.
        page.fill("ch-json-header_override", '{"x-fake-usage": "200000,100000"}')
        page.shot("flow-3-channel-form")
        page.click("ch-save")
        _wait_rows(page, "channels-table", lambda rs: len(rs) == 1 and "fake-openai" in rs[0] and "Enabled" in rs[0])
        assert server.query("SELECT base_url, models, status FROM channels") == [(fake.url, MODEL, 1)]
        page.shot("flow-3-channel")

        # An API key, made and copied on the API keys page.
        _go(page, "/token")
        page.click("t-add")
        page.fill("t-name", "flow-key")
        page.click("t-save")
        _gone(page, "t-name")
        _wait_rows(page, "tokens-table", lambda rs: len(rs) == 1 and rs[0].startswith("flow-key"))
        ((token_id, stored),) = server.query("SELECT id, key FROM tokens WHERE name = 'flow-key'")
        assert stored not in page.d.page_source  # the list shows the key masked
        page.d.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": server.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
        page.click(f"t-copy-{token_id}")
        page.wait_text("t-key-value", "sk-")
        key = page.d.execute_async_script("navigator.clipboard.readText().then(arguments[0])")
        assert key == page.el("t-key-value").text == f"sk-{stored}"
        page.shot("flow-4-key-copied")
        page.click("t-key-close")
        _gone(page, "t-key-value")

        # Dashboard before the call.
        _go(page, "/detail")
        page.wait_text("dash-requests", "0")
        used_before = page.el("dash-used").text

        # A chat through the console server's own /v1 with the copied key.
        client = openai.OpenAI(api_key=key, base_url=server.url + "/v1", max_retries=0, timeout=WAIT)
        reply = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Hello flow"}])
        assert reply.choices[0].message.content
        assert fake.last.headers["authorization"] == "Bearer sk-upstream-flow"
        assert fake.last.json["messages"][-1]["content"] == "Hello flow"
        assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (200000, 100000)

        # The log row on the Logs page (written after the answer: wait for it, bounded, then open the page).
        wait_until(lambda: server.query("SELECT id FROM logs WHERE type = 2"), "the consume log row", WAIT, 0.2)
        assert server.query("SELECT token_name, model_name, prompt_tokens, completion_tokens FROM logs WHERE type = 2") \
            == [("flow-key", MODEL, 200000, 100000)]
        _go(page, "/log")
        rows = _wait_rows(page, "logs-table", lambda rs: any(MODEL in r and "flow-key" in r for r in rs))
        assert len(rows) == 1
        page.shot("flow-5-logs")

        # The dashboard numbers move once the ledger has flushed (bounded poll, reloading the page).
        wait_until(lambda: server.query("SELECT request_count FROM users WHERE username = ?", ROOT_NAME) == [(1,)],
                   "the ledger's flush of the request count", WAIT, 0.2)
        _go(page, "/detail")
        page.wait_text("dash-requests", "1")
        ((used,),) = server.query("SELECT used_quota FROM users WHERE username = ?", ROOT_NAME)
        assert used > 0 and server.query("SELECT used_quota FROM tokens WHERE id = ?", token_id) == [(used,)]
        WebDriverWait(page.d, WAIT).until(lambda _d: page.el("dash-used").text not in ("", used_before),
                                          "used quota never changed")
        assert used_before == "$0.00"
        page.wait_text("dash-period-calls", "1")
        page.shot("flow-6-dashboard")

        # The console in Japanese.
        page.click("lang-menu")
        page.click("lang-ja")
        page.wait_text("nav-home", "ホーム")
        page.wait_text("nav-token", "API キー")
        page.wait_body_text("リクエスト")
        assert page.el("frame").get_attribute("lang") == "ja"
        page.shot("flow-7-dashboard-ja")
        _go(page, "/token")
        page.wait_body_text("API キーを追加")
        _wait_rows(page, "tokens-table", lambda rs: len(rs) == 1 and "有効" in rs[0] and "無制限" in rs[0])
        page.shot("flow-7-tokens-ja")
    finally:
        driver.quit()
