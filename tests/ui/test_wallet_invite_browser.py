"""The wallet's invitation card in a real browser: root sees the link, a visitor signs up through it
(the register page fills the code from ?aff=), the inviter's reward (QuotaForInviter, the real path
to aff_quota) shows as pending, an amount above it is refused with the service's words, and a
transfer moves money to the balance card and the database."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.support import wait_until
from tests.ui.harness import (
    AXE,
    ROOT_NAME,
    ROOT_PASSWORD,
    WAIT,
    Api,
    ConsoleServer,
    Page,
    axe_violations,
    chromium,
)

PER_UNIT = 500_000  # QuotaPerUnit by default: $1
REWARD = 3 * PER_UNIT


def _money(quota: int) -> str:
    return f"${quota / PER_UNIT:,.2f}"


def _sign_up_through(link: str, server: ConsoleServer) -> None:
    """A visitor's own browser (no session) opens the invite link and signs up."""
    visitor = Page(chromium(width=1400, height=1000), server.url)
    try:
        visitor.d.get(link)
        visitor.wait_path("/register")
        code = link.rsplit("=", 1)[1]
        visitor.wait_value("aff_code", code)
        visitor.fill("username", "invitee")
        visitor.fill("password", "password123")
        visitor.fill("confirm", "password123")
        visitor.click("submit")
        visitor.wait_path("/login")
    finally:
        visitor.d.quit()


def test_invite_link_sign_up_reward_and_transfer(server: ConsoleServer, page: Page) -> None:
    api = Api(server.url).login(ROOT_NAME, ROOT_PASSWORD)
    api.option("QuotaForInviter", str(REWARD))
    code = api.call("GET", "/api/user/aff")["data"]
    (before,) = server.query("SELECT quota FROM users WHERE username = ?", ROOT_NAME)[0]

    api.option("ServerAddress", "https://gateway.example.com/")
    page.login()
    page.open("/topup")
    page.wait_path("/topup")
    page.wait_value("aff-link", f"https://gateway.example.com/register?aff={code}")
    api.option("ServerAddress", "")  # unset: the address the browser is on
    page.open("/topup")
    page.wait_value("aff-link", f"{server.url}/register?aff={code}")
    page.wait_text("aff-count", "0")
    assert not page.el("aff-transfer").is_enabled()  # nothing to move yet

    _sign_up_through(page.el("aff-link").get_attribute("value"), server)
    invitee = server.query("SELECT inviter_id FROM users WHERE username = 'invitee'")
    assert invitee == [(1,)]

    page.open("/topup")
    page.wait_text("aff-count", "1")
    page.wait_text("aff-pending", _money(REWARD))
    page.wait_text("aff-earned", _money(REWARD))
    page.wait_text("wallet-balance", _money(before))
    page.shot("wallet-invite")

    page.click("aff-transfer")
    page.wait_value("aff-transfer-amount", "3")  # the whole pending rebate to start with
    if AXE.is_file():  # the dialog, which test_axe_browser.py's page walk never opens
        assert axe_violations(page) == []
    page.fill("aff-transfer-amount", "5")
    page.click("aff-transfer-save")
    page.wait_text("aff-transfer-error", "not enough invitation reward to transfer")
    assert server.query("SELECT aff_quota, quota FROM users WHERE id = 1") == [(REWARD, before)]

    page.fill("aff-transfer-amount", "2")
    page.click("aff-transfer-save")
    page.until(lambda d: not d.find_elements(By.ID, "aff-transfer-dialog"), "the dialog to close")
    page.wait_text("wallet-balance", _money(before + 2 * PER_UNIT))
    page.wait_text("aff-pending", _money(REWARD - 2 * PER_UNIT))
    page.wait_text("aff-earned", _money(REWARD))  # the total earned never goes down
    wait_until(lambda: server.query("SELECT aff_quota, quota FROM users WHERE id = 1")
               == [(REWARD - 2 * PER_UNIT, before + 2 * PER_UNIT)], "the transfer stored", WAIT, 0.3)


def test_the_refusals_are_translated(server: ConsoleServer, page: Page) -> None:
    """Below the $1 minimum, in French: the service's own template, translated by tr_error."""
    server.query("UPDATE users SET aff_quota = ? WHERE id = 1", PER_UNIT)  # the stage only; no UI sets it
    page.login()
    page.open("/topup")
    page.click("lang-menu")
    page.click("lang-fr")
    page.wait_text("aff-pending", "1,00")
    page.click("aff-transfer")
    page.fill("aff-transfer-amount", "0.5")
    page.click("aff-transfer-save")
    page.wait_text("aff-transfer-error", "Le transfert doit être d’au moins")
    assert server.query("SELECT aff_quota FROM users WHERE id = 1") == [(PER_UNIT,)]
