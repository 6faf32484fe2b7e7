"""Password reset and sign-up with a mailed code, in a real browser against the console served like
`make run`, with mail going to a real SMTP server on loopback. Screenshots: artifacts/screenshots/."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from html import unescape

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.smtp_sink import SmtpSink, body_text
from tests.ui.harness import Api, ConsoleServer, Page, chromium

FRESH_START = True  # root is set up by the `api` fixture below, through the same API


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def api(server: ConsoleServer, smtp: SmtpSink) -> Api:
    api = Api(server.url).as_root()
    api.option("SMTPServer", "127.0.0.1")
    api.option("SMTPPort", str(smtp.port))
    api.option("SMTPFrom", "noreply@example.com")
    api.option("ServerAddress", server.url)
    return api


def _wait_nonempty_value(page: Page, element_id: str) -> str:
    return WebDriverWait(page.d, 30).until(lambda d: page.el(element_id).get_attribute("value"))


def test_forgot_password_mail_link_new_password_once(server: ConsoleServer, smtp: SmtpSink, api: Api) -> None:
    assert api.call("POST", "/api/user/register", {"username": "mia", "password": "mia-password",
                                                   "email": "mia@example.com"})["success"]
    before = len(smtp.messages)
    page = Page(chromium(), server.url)
    try:
        page.open("/login")
        page.click("to-reset")
        page.wait_path("/reset")
        page.shot("reset")
        page.fill("email", "mia@example.com")
        page.click("submit")
        page.el("reset-sent")
        page.shot("reset-sent")
        msg = smtp.wait_for(before + 1)[before]
        assert msg["To"] == "mia@example.com"
        link = unescape(re.search(r'href="([^"]+)"', body_text(msg)).group(1))
        assert link.startswith(f"{server.url}/user/reset?email=mia%40example.com&token=")

        page.d.get(link)
        page.wait_text("reset-email", "mia@example.com")
        page.shot("user-reset")
        page.click("confirm-reset")
        password = _wait_nonempty_value(page, "new-password")
        assert 8 <= len(password) <= 20
        page.shot("user-reset-done")

        page.click("go-login")
        page.wait_path("/login")
        page.fill("username", "mia")
        page.fill("password", password)
        page.click("submit")
        page.wait_path("/")
        page.wait_text("current-user", "mia")

        page.d.get(link)  # the link worked once
        page.click("confirm-reset")
        page.wait_body_text("reset link is invalid or has expired")
        assert not page.d.find_elements(By.ID, "new-password")
    finally:
        page.d.quit()


def test_reset_pages_dark_phone_and_unknown_address(server: ConsoleServer, smtp: SmtpSink, api: Api) -> None:
    page = Page(chromium(width=390, height=844, accept_language="fr-FR,fr;q=0.9"), server.url)
    try:
        page.open("/reset")
        page.wait_body_text("Réinitialiser le mot de passe")
        page.click("theme-switch")
        WebDriverWait(page.d, 10).until(
            lambda d: "dark" in (d.find_element(By.TAG_NAME, "html").get_attribute("class") or "")
            or "dark" in (d.find_element(By.TAG_NAME, "html").get_attribute("style") or "")
        )
        page.shot("reset-dark-phone")
        page.fill("email", "nobody@example.com")
        page.click("submit")
        page.el("reset-sent")  # the same answer as for a real account
        page.open("/user/reset?email=nobody%40example.com")
        page.wait_body_text("Ce lien de réinitialisation est incomplet")
        page.shot("user-reset-dark-phone")
    finally:
        page.d.quit()


def test_sign_up_with_a_mailed_code(server: ConsoleServer, smtp: SmtpSink, api: Api) -> None:
    api.option("EmailVerificationEnabled", "true")
    before = len(smtp.messages)
    page = Page(chromium(), server.url)
    try:
        page.open("/register")
        page.el("send-code")
        page.fill("email", "noa@example.com")
        page.click("send-code")
        msg = smtp.wait_for(before + 1)[before]
        assert msg["To"] == "noa@example.com"
        code = re.search(r"<strong>([0-9a-f]{6})</strong>", body_text(msg)).group(1)
        page.shot("register-verification")
        page.fill("username", "noa")
        page.fill("password", "noa-password")
        page.fill("confirm", "noa-password")
        page.fill("verification_code", code)
        page.click("submit")
        page.wait_path("/login")
        with sqlite3.connect(server.db_path) as db:
            assert db.execute("SELECT email FROM users WHERE username = 'noa'").fetchone() == ("noa@example.com",)
    finally:
        page.d.quit()
        api.option("EmailVerificationEnabled", "false")
