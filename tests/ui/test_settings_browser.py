"""The root's settings tabs in a real browser (served like `make run`, fresh SQLite): the forms save
and come back after a reload, a switch without its settings is refused, secrets stay write-only,
custom login providers and the price table; then what the settings enable, end to end: an OIDC
login through the console against a fake provider on loopback, and a passkey registered and used
with Chrome's virtual authenticator (WebAuthn over CDP).

Screenshots land in artifacts/screenshots/ (settings-*.png).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.fakes.oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeOAuthProvider
from tests.ui.harness import (
    ROOT_NAME,
    ROOT_PASSWORD,
    WAIT,
    Api,
    ConsoleServer,
    Page,
    chromium,
    click_tab,
    login,
    no_toasts,
)


def _options(server: ConsoleServer, *keys: str) -> dict[str, str]:
    marks = ",".join("?" * len(keys))
    return dict(server.query(f"SELECT key, value FROM options WHERE key IN ({marks})", *keys))


def _wait_text(page: Page, element_id: str, text: str) -> None:
    page.until(lambda _d: page.el(element_id).text == text, f"#{element_id} != {text!r}")


def _settings(page: Page) -> None:
    login(page, ROOT_NAME, ROOT_PASSWORD)
    page.open("/admin/settings")
    page.wait_value("opt-QuotaPerUnit", "500000")


@pytest.fixture
def oidc() -> Iterator[FakeOAuthProvider]:
    with FakeOAuthProvider() as provider:
        yield provider


@pytest.fixture
def api(server: ConsoleServer) -> Api:
    return Api(server.url).as_root()


def test_settings_tabs_save_refuse_and_reload(server: ConsoleServer, page: Page) -> None:
    _settings(page)
    # A switch that needs settings is refused, with the reason under it; nothing is stored.
    click_tab(page, "system")
    page.click("opt-EmailVerificationEnabled")
    page.click("save-system")
    _wait_text(page, "opt-EmailVerificationEnabled-error",
               "cannot require email verification: set the SMTP server first")
    assert _options(server, "EmailVerificationEnabled") == {}

    click_tab(page, "smtp")
    page.fill("opt-SMTPServer", "smtp.example.com")
    page.fill("opt-SMTPPort", "465")
    page.fill("opt-SMTPAccount", "mailer@example.com")
    page.fill("opt-SMTPFrom", "noreply@example.com")
    page.click("opt-SMTPSSLEnabled")
    page.fill("secret-SMTPToken", "smtp-pass-123")
    page.click("save-smtp")
    page.wait_body_text("6 settings saved")
    click_tab(page, "system")
    page.click("opt-EmailVerificationEnabled")  # saving the SMTP tab reloaded the stored "off"
    page.click("save-system")
    page.wait_body_text("1 settings saved")

    # A client id typed together with its switch is saved first, so the switch passes its check.
    click_tab(page, "oauth")
    page.fill("opt-GitHubClientId", "gh-client")
    page.fill("secret-GitHubClientSecret", "gh-secret-456")
    page.click("opt-GitHubOAuthEnabled")
    page.fill("opt-LinuxDOMinimumTrustLevel", "2")
    page.click("opt-discord-enabled")  # no Discord client id: refused
    page.click("save-oauth")
    _wait_text(page, "opt-discord-enabled-error", "cannot enable Discord login: set the Discord client id first")

    click_tab(page, "passkey")
    page.fill("opt-passkey-rp_id", "console.example.com")
    page.fill("opt-passkey-origins", "https://console.example.com")
    page.click("save-passkey")
    page.wait_body_text("2 settings saved")

    click_tab(page, "payment")
    page.fill("opt-PayAddress", "https://pay.example.com")
    page.fill("opt-EpayId", "1001")
    page.fill("secret-EpayKey", "epay-key-789")
    page.fill("opt-Price", "7.5")
    page.fill("opt-payment_setting-amount_options", "[5, 10, 25]")
    page.click("save-payment")
    page.wait_body_text("5 settings saved")

    click_tab(page, "checkin")
    page.click("opt-checkin_setting-enabled")
    page.fill("opt-checkin_setting-min_quota", "2000")
    page.click("save-checkin")
    page.wait_body_text("2 settings saved")

    assert _options(server, "SMTPServer", "SMTPPort", "SMTPSSLEnabled", "SMTPToken", "EmailVerificationEnabled",
                    "GitHubClientId", "GitHubClientSecret", "GitHubOAuthEnabled", "LinuxDOMinimumTrustLevel",
                    "passkey.rp_id", "EpayKey", "Price", "checkin_setting.enabled",
                    "checkin_setting.min_quota") == {
        "SMTPServer": "smtp.example.com", "SMTPPort": "465", "SMTPSSLEnabled": "true", "SMTPToken": "smtp-pass-123",
        "EmailVerificationEnabled": "true", "GitHubClientId": "gh-client", "GitHubClientSecret": "gh-secret-456",
        "GitHubOAuthEnabled": "true", "LinuxDOMinimumTrustLevel": "2", "passkey.rp_id": "console.example.com",
        "EpayKey": "epay-key-789", "Price": "7.5", "checkin_setting.enabled": "true",
        "checkin_setting.min_quota": "2000"}
    assert "discord.enabled" not in _options(server, "discord.enabled")

    page.open("/admin/settings")  # the last tab stays open
    click_tab(page, "smtp")
    page.wait_value("opt-SMTPServer", "smtp.example.com")
    _wait_text(page, "secret-SMTPToken-state", "set")
    assert page.el("secret-SMTPToken").get_attribute("value") == ""
    click_tab(page, "oauth")
    page.wait_value("opt-GitHubClientId", "gh-client")
    page.wait_value("opt-LinuxDOMinimumTrustLevel", "2")
    _wait_text(page, "secret-GitHubClientSecret-state", "set")
    _wait_text(page, "secret-discord-client_secret-state", "not set")
    click_tab(page, "payment")
    page.wait_value("opt-EpayId", "1001")
    for secret in ("smtp-pass-123", "gh-secret-456", "epay-key-789"):
        assert secret not in page.d.page_source
    no_toasts(page)
    page.shot("settings-payment")


def test_custom_login_providers_and_the_price_table(server: ConsoleServer, page: Page, api: Api,
                                                   oidc: FakeOAuthProvider) -> None:
    reply = api.call("POST", "/api/channel/", {"mode": "single", "channel": {
        "type": 1, "name": "priced", "key": "sk-x", "models": "gpt-4o,mystery-model", "group": "default"}})
    assert reply["success"], reply
    _settings(page)
    click_tab(page, "oauth")
    page.click("coauth-add")
    page.fill("coauth-name", "Corp SSO")
    page.fill("coauth-slug", "github")
    page.fill("coauth-client_id", "corp-client")
    page.fill("coauth-authorization_endpoint", "https://sso.corp.example/authorize")
    page.fill("coauth-well_known", f"{oidc.url}/.well-known/openid-configuration")
    page.click("coauth-discover")  # fills only the endpoints left empty
    page.wait_value("coauth-token_endpoint", f"{oidc.url}/token")
    page.wait_value("coauth-user_info_endpoint", f"{oidc.url}/userinfo")
    assert page.el("coauth-authorization_endpoint").get_attribute("value") == "https://sso.corp.example/authorize"
    page.fill("coauth-client_secret", "corp-secret")
    page.click("coauth-save")
    _wait_text(page, "coauth-error", "this slug conflicts with a built-in OAuth provider")
    page.fill("coauth-slug", "corp")
    page.click("coauth-save")
    page.el("coauth-row-corp")
    assert server.query("SELECT name, client_secret, enabled FROM custom_oauth_providers") == [
        ("Corp SSO", "corp-secret", 0)]
    ((pid,),) = server.query("SELECT id FROM custom_oauth_providers")
    page.click(f"coauth-edit-{pid}")
    page.wait_value("coauth-name", "Corp SSO")
    assert page.el("coauth-client_secret").get_attribute("value") == ""
    page.fill("coauth-name", "Corp login")
    page.click("coauth-enabled")
    page.click("coauth-save")
    WebDriverWait(page.d, WAIT).until(lambda _d: "Corp login" in page.el("coauth-row-corp").text)
    assert server.query("SELECT name, client_secret, enabled FROM custom_oauth_providers") == [
        ("Corp login", "corp-secret", 1)]
    page.click(f"coauth-delete-{pid}")
    page.click("coauth-confirm-ok")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "coauth-row-corp"))
    assert server.query("SELECT COUNT(*) FROM custom_oauth_providers") == [(0,)]

    click_tab(page, "pricing")
    page.el("rt-unpriced-mystery-model")  # served by the channel, no price anywhere
    assert not page.d.find_elements(By.ID, "rt-unpriced-gpt-4o")  # built-in price
    page.click("rt-only-unpriced")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "rt-row-gpt-4o"))
    page.fill("rt-ratio-mystery-model", "3")
    page.fill("rt-completion-mystery-model", "4")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.ID, "rt-unpriced-mystery-model"))
    box = page.el("rt-group-vip")  # a table cell: select what is there and type over it
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("0.8")
    page.until(lambda _d: page.el("rt-group-vip").get_attribute("value") == "0.8", "the group ratio was not typed")
    no_toasts(page)
    page.shot("settings-price-table")
    page.click("save-price-table")
    page.wait_body_text("Prices saved")
    saved = _options(server, "ModelRatio", "CompletionRatio", "GroupRatio")
    assert json.loads(saved["ModelRatio"]) == {"mystery-model": 3}
    assert json.loads(saved["CompletionRatio"]) == {"mystery-model": 4}
    assert json.loads(saved["GroupRatio"]) == {"default": 1, "vip": 0.8, "svip": 1}
    click_tab(page, "ratios")  # the raw editor shows what the table saved
    WebDriverWait(page.d, WAIT).until(lambda _d: "mystery-model" in page.el("opt-ModelRatio").get_attribute("value"))


def test_oidc_login_configured_in_the_console(server: ConsoleServer, page: Page, api: Api,
                                              oidc: FakeOAuthProvider) -> None:
    api.option("ServerAddress", server.url)
    _settings(page)
    click_tab(page, "oauth")
    page.fill("opt-oidc-client_id", CLIENT_ID)
    page.fill("secret-oidc-client_secret", CLIENT_SECRET)
    page.fill("opt-oidc-well_known", f"{oidc.url}/.well-known/openid-configuration")
    page.click("opt-oidc-enabled")
    page.click("save-oauth")
    page.wait_body_text("4 settings saved")

    oidc.next_login = {"sub": "oidc-sub-7", "email": "olga@example.com", "preferred_username": "olga"}
    visitor = Page(chromium(), server.url)
    try:
        visitor.open("/login")
        visitor.click("oauth-oidc")
        visitor.wait_path("/")
        WebDriverWait(visitor.d, WAIT).until(
            lambda d: any(e.text.strip() == "olga" for e in d.find_elements(By.ID, "user-menu")), "not logged in")
    finally:
        visitor.d.quit()
    assert oidc.authorize_requests[-1]["redirect_uri"] == f"{server.url}/oauth/oidc"
    assert server.query("SELECT username, email FROM users WHERE oidc_id = 'oidc-sub-7'") == [
        ("olga", "olga@example.com")]


def _virtual_authenticator(page: Page) -> None:
    page.d.execute_cdp_cmd("WebAuthn.enable", {"enableUI": False})
    page.d.execute_cdp_cmd("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})


def test_passkey_registered_and_used_with_a_virtual_authenticator(server: ConsoleServer, api: Api) -> None:
    # WebAuthn needs a domain (an IP address is no relying party id): the browser uses localhost.
    local = server.url.replace("127.0.0.1", "localhost")
    api.option("ServerAddress", local)
    page = Page(chromium(), local)
    try:
        _virtual_authenticator(page)
        _settings(page)
        click_tab(page, "passkey")
        page.click("opt-passkey-enabled")
        page.fill("opt-passkey-rp_display_name", "Gateway")
        page.fill("opt-passkey-rp_id", "localhost")
        page.fill("opt-passkey-origins", local)
        page.click("save-passkey")
        page.wait_body_text("4 settings saved")

        page.open("/setting")
        page.click("add-passkey")
        page.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[id^='remove-passkey-']"), "the passkey never showed")
        assert server.query("SELECT COUNT(*) FROM passkey_credentials") == [(1,)]

        page.d.delete_all_cookies()
        page.open("/login")
        page.click("passkey-login")
        page.wait_path("/")
        WebDriverWait(page.d, WAIT).until(
            lambda d: any(e.text.strip() == ROOT_NAME for e in d.find_elements(By.ID, "user-menu")), "not logged in")
        assert server.query("SELECT sign_count > 0 OR last_used_at IS NOT NULL FROM passkey_credentials") == [(1,)]
    finally:
        page.d.quit()


def test_users_security_dialog_unbinds_and_resets(server: ConsoleServer, page: Page, api: Api) -> None:
    assert api.call("POST", "/api/user/", {"username": "dora", "password": "dora-pass-1"})["success"]
    ((uid,),) = server.query("SELECT id FROM users WHERE username = 'dora'")
    server.query("UPDATE users SET github_id = 'gh-77', oidc_id = 'sub-77' WHERE id = ?", uid)
    server.query("INSERT INTO two_fas (user_id, secret, is_enabled, failed_attempts) VALUES (?, 'JBSWY3DPEHPK3PXP', 1, 0)",
                 uid)
    server.query("INSERT INTO passkey_credentials (user_id, credential_id, public_key, attestation_type, aaguid, "
                 "sign_count, clone_warning, user_present, user_verified, backup_eligible, backup_state, attachment) "
                 "VALUES (?, 'cred-1', 'pk', 'none', '', 0, 0, 1, 1, 0, 0, '')", uid)
    login(page, ROOT_NAME, ROOT_PASSWORD)
    page.open("/user")
    _wait_text(page, "us-twofa-users", "1")
    page.click(f"u-security-{uid}")
    page.el("us-twofa-on")
    _wait_text(page, "us-passkeys", "1")
    page.until(lambda _d: "gh-77" in page.el("us-bindings").text, "the GitHub binding never showed")
    page.shot("settings-user-security")
    page.click("us-unbind-github")
    page.until(lambda _d: "gh-77" not in page.el("us-bindings").text, "the GitHub binding stayed")
    assert server.query("SELECT github_id, oidc_id FROM users WHERE id = ?", uid) == [("", "sub-77")]
    page.click("us-reset-twofa")
    _wait_text(page, "us-confirm-message", "Switch off two-factor authentication for “dora”?")
    page.click("us-confirm-ok")
    page.el("us-twofa-off")
    _wait_text(page, "us-twofa-users", "0")
    page.click("us-reset-passkeys")
    page.click("us-confirm-ok")
    _wait_text(page, "us-passkeys", "0")
    assert server.query("SELECT COUNT(*) FROM passkey_credentials WHERE user_id = ?", uid) == [(0,)]
    assert server.query("SELECT COUNT(*) FROM two_fas WHERE user_id = ? AND deleted_at IS NULL", uid) == [(0,)]


def test_subscription_plans_create_edit_disable(server: ConsoleServer, page: Page) -> None:
    login(page, ROOT_NAME, ROOT_PASSWORD)
    page.click("nav-admin/plans")
    page.wait_path("/admin/plans")
    page.click("plan-add")
    page.fill("plan-price_amount", "9.5")
    page.click("plan-save")
    _wait_text(page, "plan-error", "the plan title cannot be empty")
    page.fill("plan-title", "Pro monthly")
    page.fill("plan-total_amount", "5000000")
    page.fill("plan-upgrade_group", "vip")
    page.click("plan-save")
    page.until(lambda d: d.find_elements(By.CSS_SELECTOR, "[id^='plan-row-']"), "the plan never showed")
    ((pid, title, price, quota, group, enabled),) = server.query(
        "SELECT id, title, price_amount, total_amount, upgrade_group, enabled FROM subscription_plans")
    assert (title, price, quota, group, enabled) == ("Pro monthly", 9.5, 5_000_000, "vip", 1)
    assert "$10.00" in page.el(f"plan-row-{pid}").text  # 5,000,000 quota shown as money
    page.click(f"plan-edit-{pid}")
    page.wait_value("plan-title", "Pro monthly")
    page.fill("plan-title", "Pro")
    page.click("plan-save")
    page.until(lambda _d: "monthly" not in page.el(f"plan-row-{pid}").text, "the new title never showed")
    page.click(f"plan-disable-{pid}")
    page.el(f"plan-enable-{pid}")
    assert server.query("SELECT title, enabled FROM subscription_plans") == [("Pro", 0)]
    no_toasts(page)
    page.shot("settings-plans")
