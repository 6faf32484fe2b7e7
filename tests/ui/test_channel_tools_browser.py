"""The channel list's tools in a real browser (served like `make run`, fresh SQLite): copy a
channel, review and apply its upstream's model changes, pull a model on an Ollama server (a fake
one) with its progress, and disable one key of a multi-key channel; each checked in the database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.fakes.ollama_admin import VERSION, FakeOllama
from tests.support import wait_until
from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, Api, ConsoleServer, Page


@pytest.fixture(scope="module")
def ollama(server: ConsoleServer) -> Iterator[FakeOllama]:
    with FakeOllama() as fake:
        api = Api(server.url).login(ROOT_NAME, ROOT_PASSWORD)
        api.call("POST", "/api/channel/", {"mode": "single", "channel": {
            "name": "ol", "type": 4, "key": "k", "base_url": fake.url, "models": "llama3.2:latest,gone-model"}})
        api.call("POST", "/api/channel/", {"mode": "multi_to_single", "channel": {
            "name": "multi", "type": 1, "key": "sk-aaaaaaaaaaaa\nsk-bbbbbbbbbbbb\nsk-cccccccccccc",
            "models": "gpt-4o"}})
        yield fake


def _id(server: ConsoleServer, name: str) -> int:
    return server.query("SELECT id FROM channels WHERE name = ?", name)[0][0]


def test_channel_tools(server: ConsoleServer, page: Page, ollama: FakeOllama) -> None:
    ol, multi = _id(server, "ol"), _id(server, "multi")
    page.login()
    page.click("nav-channel")
    page.wait_path("/channel")

    page.click(f"ch-copy-{ol}")
    wait_until(lambda: server.query("SELECT count(*) FROM channels WHERE name = 'ol_复制'") == [(1,)],
               "the copy", WAIT, 0.3)

    page.click(f"ch-upstream-{ol}")
    page.wait_text("up-add-count", "(1)")
    page.wait_text("up-remove-count", "(1)")
    page.click("up-remove-gone-model")
    page.click("up-apply")
    wait_until(lambda: server.query("SELECT models FROM channels WHERE id = ?", ol) == [
        ("llama3.2:latest,qwen2.5:7b",)], "the upstream changes applied", WAIT, 0.3)

    page.click(f"ch-ollama-{ol}")
    page.wait_text("ol-version", VERSION)
    page.fill("ol-model", "phi3:mini")
    page.click("ol-pull")
    page.wait_text("ol-status", "Pulled phi3:mini")
    assert "phi3:mini" in ollama.models
    page.shot("channel-ollama")
    page.d.find_element(By.TAG_NAME, "body").send_keys("\ue00c")  # Escape closes the dialog

    page.click(f"ch-keys-{multi}")
    WebDriverWait(page.d, WAIT).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#mk-table tbody tr")) == 3)
    page.click("mk-disable-1")
    page.wait_text("mk-summary", "2 enabled, 1 disabled")
    info = json.loads(server.query("SELECT channel_info FROM channels WHERE id = ?", multi)[0][0])
    assert info["multi_key_status_list"] == {"1": 2}
    page.shot("channel-keys")
