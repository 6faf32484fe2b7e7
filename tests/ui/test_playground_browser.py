"""The playground in a real browser (served like `make run`, fresh SQLite), calling the relay over
the gateway's own HTTP endpoint with one of the user's keys, in front of a fake OpenAI upstream.

The channel serves "aaa-unpriced" (first alphabetically, no price) and "gpt-4o-mini" (priced by the
defaults): the page must start on the priced one. It also serves the fake's "hang" (no answer until
the client goes) and "hang-stream" (one empty chunk, then nothing), priced here, to press Stop on. What reaches the upstream is checked on the fake's
recorded requests; billing on the database. Screenshots: artifacts/screenshots/playground-*.png.
"""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By

from tests.fakes.openai_wire import REPLY_TEXT
from tests.fakes.upstream import FakeUpstream
from tests.support import wait_until
from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, Api, ConsoleServer, Page, chromium, login

KEY_NAME = "playground-key"
UPSTREAM_KEY = "sk-upstream"
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}


@pytest.fixture(scope="module")
def api(server: ConsoleServer, fake: FakeUpstream) -> Api:
    """Root's API session, with the channel and the key every test of the module chats through."""
    api = Api(server.url).login(ROOT_NAME, ROOT_PASSWORD)
    api.call("POST", "/api/channel/", {"mode": "single", "channel": {
        "name": "fake", "type": 1, "key": UPSTREAM_KEY, "base_url": fake.url,
        "models": "aaa-unpriced,gpt-4o-mini,hang,hang-stream", "group": "default"}})
    api.option("ModelRatio", json.dumps({"hang": 1, "hang-stream": 1}))  # laid over the defaults
    api.call("POST", "/api/token/", {"name": KEY_NAME, "unlimited_quota": True, "expired_time": -1})
    return api


def _open(page: Page) -> None:
    login(page, ROOT_NAME, ROOT_PASSWORD)
    page.open("/playground")
    page.wait_text("pg-key", KEY_NAME)
    page.wait_text("pg-model", "gpt-4o-mini")


def _pick_model(page: Page, name: str) -> None:
    page.click("pg-model")
    option = page.until(lambda d: next((o for o in d.find_elements(By.CSS_SELECTOR, "[role=option]")
                                        if o.text == name), None), f"no model option {name!r}")
    option.click()  # until() returns what the condition found
    page.wait_text("pg-model", name)


def _bubbles(page: Page, kind: str) -> list[str]:
    return [e.text for e in page.d.find_elements(By.CSS_SELECTOR, f".chat-{kind}")]


def _answered(page: Page, count: int) -> None:
    """Wait for `count` non-empty answers and the end of the call."""
    page.until(lambda d: len([t for t in _bubbles(page, "assistant") if t.strip()]) == count
               and not d.find_elements(By.ID, "pg-streaming"), f"never {count} answers")


def _requests_after(fake: FakeUpstream, before: int) -> None:
    wait_until(lambda: len(fake.requests) > before, "the upstream call", WAIT, 0.2)


def test_default_model_is_priced_and_the_chat_streams(server: ConsoleServer, api: Api, fake: FakeUpstream,
                                                      page: Page) -> None:
    (used_before,) = server.query("SELECT used_quota FROM users WHERE id = 1")[0]
    _open(page)  # waits for "gpt-4o-mini" although "aaa-unpriced" sorts first
    assert "aaa-unpriced" not in page.el("pg-model").text
    page.fill("prompt", "Say hello")
    page.click("pg-send")
    _answered(page, 1)
    assert fake.last.json["stream"] is True and fake.last.json["messages"] == [{"role": "user", "content": "Say hello"}]
    assert "temperature" not in fake.last.json  # blank: the model's own default
    assert fake.last.headers["authorization"] == f"Bearer {UPSTREAM_KEY}"  # the relay, not the browser, called out
    assert page.el("prompt").get_attribute("value") == ""
    page.shot("playground-stream")
    # Billed and logged like any API call made with that key.
    wait_until(lambda: server.query("SELECT id FROM logs WHERE type = 2 AND token_name = ?", KEY_NAME),
               "the playground call's consume log", WAIT, 0.5)
    assert server.query("SELECT model_name, is_stream FROM logs WHERE type = 2 AND token_name = ?", KEY_NAME) \
        == [("gpt-4o-mini", 1)]
    assert server.query("SELECT used_quota FROM users WHERE id = 1")[0][0] > used_before


def test_system_prompt_temperature_and_stream_off_then_regenerate(api: Api, fake: FakeUpstream, page: Page) -> None:
    _open(page)
    page.fill("pg-system", "Answer in one word.")
    page.fill("pg-temperature", "0.3")
    page.click("pg-stream")  # off
    page.until(lambda d: d.find_element(By.ID, "pg-stream").get_attribute("aria-checked") == "false",
               "the stream switch never turned off")
    before = len(fake.requests)
    page.fill("prompt", "Name a colour")
    page.click("pg-send")
    _answered(page, 1)
    sent = fake.last.json
    assert len(fake.requests) == before + 1
    assert sent["stream"] is False and sent["temperature"] == 0.3
    assert sent["messages"] == [{"role": "system", "content": "Answer in one word."},
                                {"role": "user", "content": "Name a colour"}]
    assert _bubbles(page, "assistant") == [REPLY_TEXT]  # the JSON answer's choices[0].message.content
    assert _bubbles(page, "user") == ["Name a colour"]  # the system prompt is not part of the chat log

    page.click("pg-regenerate")
    _requests_after(fake, before + 1)
    _answered(page, 1)
    assert fake.last.json["messages"] == sent["messages"]  # the same history, the old answer dropped
    assert _bubbles(page, "user") == ["Name a colour"] and len(_bubbles(page, "assistant")) == 1
    copies = page.d.find_elements(By.CSS_SELECTOR, ".pg-copy")
    assert len(copies) == 1  # a copy button per answer, none on the user's messages
    page.d.execute_cdp_cmd("Browser.grantPermissions", {"origin": page.base,
                                                        "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    copies[0].click()
    page.wait_body_text("Copied")
    clipboard = page.d.execute_async_script("navigator.clipboard.readText().then(arguments[0], e => arguments[0]('! ' + e))")
    assert clipboard == REPLY_TEXT
    page.shot("playground-options")


def test_a_failed_call_shows_an_error_and_a_retry_holds_the_message_once(api: Api, fake: FakeUpstream,
                                                                         page: Page) -> None:
    _open(page)
    fake.fail_keys[UPSTREAM_KEY] = 400  # every upstream call fails until the key is taken out
    try:
        page.fill("prompt", "Are you there?")
        page.click("pg-send")
        page.wait_text("pg-error", "The model call failed")
        page.until(lambda d: not d.find_elements(By.ID, "pg-streaming"), "the call never ended")
        assert _bubbles(page, "user") == ["Are you there?"] and _bubbles(page, "assistant") == []
        assert page.el("prompt").get_attribute("value") == "Are you there?"  # kept for the retry
        page.shot("playground-error")
    finally:
        fake.fail_keys.clear()
    before = len(fake.requests)
    page.click("pg-send")  # the retry: the same text, still in the box
    _answered(page, 1)
    assert fake.last.json["messages"] == [{"role": "user", "content": "Are you there?"}]
    assert len(fake.requests) == before + 1
    assert _bubbles(page, "user") == ["Are you there?"]
    assert not page.d.find_elements(By.ID, "pg-error")


@pytest.mark.parametrize(("model", "stream"), [("hang", False), ("hang-stream", True)])
def test_stop_ends_a_call_that_never_answers(api: Api, fake: FakeUpstream, page: Page, model: str,
                                             stream: bool) -> None:
    _open(page)
    _pick_model(page, model)
    page.open("/playground")  # the pick is remembered by the tab across a reload
    page.wait_text("pg-model", model)
    if not stream:
        page.click("pg-stream")
        page.until(lambda d: d.find_element(By.ID, "pg-stream").get_attribute("aria-checked") == "false",
                   "the stream switch never turned off")
    before = len(fake.requests)
    page.fill("prompt", "Take your time")
    page.click("pg-send")
    _requests_after(fake, before)  # the call is at the upstream, which will not answer
    assert fake.last.json["model"] == model and fake.last.json["stream"] is stream
    page.click("pg-stop")
    page.until(lambda d: not d.find_elements(By.ID, "pg-streaming") and d.find_elements(By.ID, "pg-send"),
               "Stop never ended the call")
    assert _bubbles(page, "user") == ["Take your time"] and _bubbles(page, "assistant") == []
    assert not page.d.find_elements(By.ID, "pg-error")  # stopping is not a failure
    assert page.el("pg-regenerate").is_enabled()  # and the question can be sent again


def test_out_of_range_temperature_is_refused_before_any_call(api: Api, fake: FakeUpstream, page: Page) -> None:
    _open(page)
    page.fill("pg-temperature", "3")
    before = len(fake.requests)
    page.fill("prompt", "Hello")
    page.click("pg-send")
    page.wait_text("pg-error", "Temperature is a number from 0 to 2")
    assert len(fake.requests) == before and _bubbles(page, "user") == []


def test_fits_a_phone_with_a_conversation(server: ConsoleServer, api: Api, fake: FakeUpstream) -> None:
    page = Page(chromium(width=390, height=844), server.url)
    try:
        page.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)  # headless windows are 500 px at least
        _open(page)
        page.fill("prompt", "A long question " * 20)
        page.click("pg-send")
        _answered(page, 1)
        assert page.d.execute_script("return document.documentElement.scrollWidth") <= PHONE["width"]
        page.shot("playground-phone")
    finally:
        page.d.quit()
