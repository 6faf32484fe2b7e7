"""Issue #15 item 4 in a real browser: the channel form's type picker is searchable and lists only
the types the relay serves, the key box spans the form, "Fix the fields marked in red" goes away
once they are fixed, and "Fetch upstream models" asks the base URL typed in the form (the stored
key when editing), naming that URL when it fails; in English, 简体中文 and 日本語, and at phone
width. Screenshots: artifacts/screenshots/channel-form-*.png."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, WAIT, ConsoleServer, Page, chromium, login

CLOSED = "http://127.0.0.1:9"  # nothing listens on the discard port: the request is refused


PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}


def _options(page: Page, trigger_id: str) -> list[str]:
    """The labels a Radix select offers (its list opens in a portal), closed again after."""
    page.click(trigger_id)
    WebDriverWait(page.d, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[role='option']"))
    labels = page.d.execute_script(
        "return Array.from(document.querySelectorAll('[role=option]')).map(o => o.innerText.trim())")
    page.d.find_element(By.TAG_NAME, "body").send_keys("\ue00c")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[role='listbox']"))
    return labels


def _toast(page: Page, text: str) -> str:
    found: list[str] = []

    def seen(d: object) -> bool:
        found[:] = [t.text for t in page.d.find_elements(By.CSS_SELECTOR, "[data-sonner-toast]") if text in t.text]
        return bool(found)

    WebDriverWait(page.d, WAIT).until(seen, f"no toast with {text!r}")
    return found[0]


def _close_toasts(page: Page) -> None:
    page.d.execute_script("document.querySelectorAll('[data-sonner-toast] [data-close-button]').forEach(b => b.click())")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-sonner-toast]"))


def test_type_picker_key_box_and_the_red_fields_message(server: ConsoleServer, page: Page) -> None:
    login(page, ROOT_NAME, ROOT_PASSWORD)
    page.open("/channel")
    page.click("ch-add")
    page.wait_value("ch-base-url", "https://api.openai.com")
    everything = _options(page, "ch-type")
    assert "14 · Anthropic" in everything and "1 · OpenAI" in everything
    assert "11 · PaLM" not in everything and "56 · Replicate" not in everything  # no adaptor: never offered
    page.fill("ch-type-search", "anthro")
    assert set(_options(page, "ch-type")) == {"1 · OpenAI", "14 · Anthropic"}  # the current type stays
    page.fill("ch-type-search", " ")  # a blank search (typed: clearing alone tells React nothing) lists all
    WebDriverWait(page.d, WAIT).until(lambda _d: len(_options(page, "ch-type")) == len(everything))

    form_width = page.el("ch-form").size["width"]
    assert page.el("ch-key").size["width"] > 0.8 * form_width  # the key box spans the form

    page.fill("ch-name", "broken")
    page.fill("ch-key", "sk-x")
    page.fill("ch-json-model_mapping", '{"a": ')
    page.click("ch-save")
    page.wait_text("ch-form-error", "Fix the fields marked in red")
    page.fill("ch-json-model_mapping", '{"a": "b"}')  # fixed: the message goes without another save
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "ch-form-error"), "the message stayed")
    page.shot("channel-form-en")
    assert server.query("SELECT COUNT(*) FROM channels") == [(0,)]


def test_fetch_models_asks_the_typed_base_url_and_names_it(server: ConsoleServer, page: Page) -> None:
    login(page, ROOT_NAME, ROOT_PASSWORD)
    page.open("/channel")
    page.click("ch-add")
    page.fill("ch-name", "stored-url")
    page.fill("ch-base-url", CLOSED)
    page.fill("ch-key", "sk-stored-key-1")
    page.click("ch-fetch-models")
    assert CLOSED in _toast(page, "Could not list the models")
    _close_toasts(page)
    page.fill("ch-model-input", "gpt-4o")
    page.click("ch-model-add")
    page.click("ch-save")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "ch-form"))
    ((cid,),) = server.query("SELECT id FROM channels WHERE name = 'stored-url'")

    # Editing, with the key box left empty: the stored key goes to the URL now in the form (this
    # gateway, which refuses the key), not to the stored one.
    page.click(f"ch-edit-{cid}")
    page.wait_value("ch-base-url", CLOSED)
    page.fill("ch-base-url", server.url)
    page.click("ch-fetch-models")
    text = _toast(page, "Could not list the models")
    assert server.url in text and CLOSED not in text
    assert "sk-stored-key-1" not in page.d.page_source  # the stored key never reaches the page
    _close_toasts(page)

    for code, words in (("zh_CN", "无法"), ("ja", "取得できません")):
        page.d.execute_script("window.scrollTo(0, 0)")
        page.d.find_element(By.TAG_NAME, "body").send_keys("\ue00c")
        WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "ch-form"))
        page.click("lang-menu")
        page.click(f"lang-{code}")
        page.click(f"ch-edit-{cid}")
        page.wait_value("ch-base-url", CLOSED)
        page.click("ch-fetch-models")
        text = _toast(page, CLOSED)
        assert words in text, text
        page.shot(f"channel-form-fetch-error-{code}")
        _close_toasts(page)


def test_channel_form_at_phone_width(server: ConsoleServer) -> None:
    phone = Page(chromium(width=390, height=844), server.url)
    try:
        login(phone, ROOT_NAME, ROOT_PASSWORD)
        phone.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)  # headless windows are 500 px at least
        phone.open("/channel")
        phone.click("ch-add")
        phone.el("ch-type-search")
        right = phone.d.execute_script("return document.getElementById('ch-form').getBoundingClientRect().right")
        assert right <= 390, right  # the form fits the phone's width
        phone.shot("channel-form-phone")
    finally:
        phone.d.quit()
