"""The console in a real browser, served like `make run` (one port, prod build, fresh SQLite).

Screenshots of every page land in artifacts/screenshots/.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import ROOT_NAME, ROOT_PASSWORD, ConsoleServer, Page, chromium

FRESH_START = True  # the setup wizard is part of the flow under test
WINDOW = (1280, 900)


def _api(server: ConsoleServer, method: str, path: str, body: dict | None = None) -> dict:
    req = urllib.request.Request(server.url + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def _ensure_root(server: ConsoleServer) -> None:
    if not _api(server, "GET", "/api/setup")["data"]["status"]:
        _api(server, "POST", "/api/setup", {"username": ROOT_NAME, "password": ROOT_PASSWORD,
                                            "confirmPassword": ROOT_PASSWORD})


def _create_tokens(server: ConsoleServer, page: Page, count: int) -> None:
    """Through the management API, with the browser's own session (the console shares it)."""
    cookie = next(c["value"] for c in page.d.get_cookies() if c["name"] == "session")
    with sqlite3.connect(server.db_path) as db:
        (user_id,) = db.execute("SELECT id FROM users WHERE username = ?", (ROOT_NAME,)).fetchone()
    for i in range(count):
        req = urllib.request.Request(
            server.url + "/api/token/", method="POST",
            data=json.dumps({"name": f"key-{i:02d}", "expired_time": -1, "remain_quota": 5000}).encode(),
            headers={"Content-Type": "application/json", "Cookie": f"session={cookie}", "New-Api-User": str(user_id)},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            assert json.loads(r.read())["success"]


def _login(page: Page, username: str, password: str) -> None:
    page.open("/login")
    page.wait_path("/login")
    page.fill("username", username)
    page.fill("password", password)
    page.click("submit")
    page.wait_path("/")
    page.wait_text("current-user", username)


def test_fresh_start_setup_login_frame_and_japanese(server: ConsoleServer, page: Page) -> None:
    page.open("/")
    page.wait_path("/setup")  # a fresh instance sends every page to the wizard
    page.open("/login")
    page.wait_path("/setup")
    page.wait_body_text("Create the root account")
    page.shot("setup")

    page.fill("username", ROOT_NAME)
    page.fill("password", ROOT_PASSWORD)
    page.fill("confirm", ROOT_PASSWORD)
    page.click("submit")
    page.wait_path("/login")
    page.wait_body_text("Setup complete")
    page.shot("login")
    # The wizard is single-use: it now sends visitors to the login page.
    page.open("/setup")
    page.wait_path("/login")

    page.fill("username", ROOT_NAME)
    page.fill("password", "wrong-password")
    page.click("submit")
    page.wait_body_text("invalid username or password")
    assert page.path() == "/login"

    _login(page, ROOT_NAME, ROOT_PASSWORD)
    page.wait_text("welcome", ROOT_NAME)
    page.wait_text("stat-balance", "$200.00")  # root starts with 100,000,000 quota = $200
    page.wait_text("nav-home", "Home")
    page.shot("home")
    # The session cookie is HttpOnly: page scripts see no credential at all.
    assert "session" not in page.d.execute_script("return document.cookie")
    assert any(c["name"] == "session" and c["httpOnly"] for c in page.d.get_cookies())

    _create_tokens(server, page, 12)

    page.click("lang-menu")
    page.click("lang-ja")
    page.wait_text("nav-home", "ホーム")
    page.wait_text("nav-token", "API キー")
    page.wait_body_text("おかえりなさい")
    page.wait_body_text("残高")
    page.shot("home-ja")
    # The choice sticks (cookie) across a reload.
    page.open("/")
    page.wait_text("nav-home", "ホーム")

    assert page.el("frame").get_attribute("lang") == "ja"

    page.click("nav-token")  # server-side paging: 12 keys, 10 a page, newest first
    page.wait_path("/token")
    page.wait_text("page-indicator", "1 / 2")
    rows = page.d.find_elements(By.CSS_SELECTOR, "#tokens-table tbody tr")
    assert len(rows) == 10
    assert rows[0].text.startswith("key-11") and "有効" in rows[0].text and "無期限" in rows[0].text
    page.shot("tokens-ja")
    page.click("next-page")
    page.wait_text("page-indicator", "2 / 2")
    rows = page.d.find_elements(By.CSS_SELECTOR, "#tokens-table tbody tr")
    assert [r.text.split()[0] for r in rows] == ["key-01", "key-00"]


def test_register_with_invite_then_ban_logs_out(server: ConsoleServer, page: Page) -> None:
    _ensure_root(server)
    with sqlite3.connect(server.db_path) as db:
        (root_aff,) = db.execute("SELECT aff_code FROM users WHERE username = ?", (ROOT_NAME,)).fetchone()
    page.open(f"/register?aff={root_aff}")
    page.wait_path("/register")
    page.wait_value("aff_code", root_aff)
    page.shot("register")
    page.fill("username", "alice")
    page.fill("password", "alicepass1")
    page.fill("confirm", "alicepass1")
    page.click("submit")
    page.wait_path("/login")
    with sqlite3.connect(server.db_path) as db:
        assert db.execute("SELECT aff_count FROM users WHERE username = ?", (ROOT_NAME,)).fetchone() == (1,)

    _login(page, "alice", "alicepass1")
    page.click("nav-token")
    page.wait_path("/token")
    with sqlite3.connect(server.db_path) as db:
        db.execute("UPDATE users SET status = 2 WHERE username = 'alice'")
    page.click("nav-home")  # the next action re-reads the user: a ban applies at once
    page.wait_path("/")
    WebDriverWait(page.d, 30).until(lambda d: not d.find_elements(By.ID, "current-user"), "still shown as logged in")
    assert not page.d.find_elements(By.ID, "nav-token")  # role-based navigation: visitors get no console links
    page.open("/token")
    page.wait_path("/login")


def test_accept_language_phone_width_and_dark_mode(server: ConsoleServer) -> None:
    _ensure_root(server)
    driver = chromium(width=390, height=844, accept_language="zh-TW,zh;q=0.9,en;q=0.5")
    try:
        page = Page(driver, server.url)
        page.open("/login")
        page.wait_body_text("還沒有帳戶？")  # no language picked yet: the browser's Accept-Language wins
        page.shot("login-zh_TW-phone")
        _login(page, ROOT_NAME, ROOT_PASSWORD)
        assert not page.d.find_element(By.ID, "nav-home").is_displayed()  # the sidebar gives way to the drawer
        page.click("mobile-menu")
        page.wait_body_text("首頁")
        page.shot("menu-phone")
        page.d.find_element(By.TAG_NAME, "body").send_keys("\ue00c")  # Escape closes the drawer
        page.click("theme-switch")
        WebDriverWait(driver, 10).until(
            lambda d: "dark" in (d.find_element(By.TAG_NAME, "html").get_attribute("class") or "")
            or "dark" in (d.find_element(By.TAG_NAME, "html").get_attribute("style") or "")
        )
        page.shot("home-dark-phone")
    finally:
        driver.quit()


def _raw(server: ConsoleServer, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}
    finally:
        conn.close()


def test_logout_ends_the_session_on_the_server_then_login_works_again(server: ConsoleServer, page: Page) -> None:
    _ensure_root(server)
    _login(page, ROOT_NAME, ROOT_PASSWORD)
    cookie = next(c["value"] for c in page.d.get_cookies() if c["name"] == "session")
    with sqlite3.connect(server.db_path) as db:
        (user_id,) = db.execute("SELECT id FROM users WHERE username = ?", (ROOT_NAME,)).fetchone()
    replay = {"Cookie": f"session={cookie}", "New-Api-User": str(user_id)}
    assert _raw(server, "GET", "/api/user/self", replay)[0] == 200

    page.click("user-menu")
    page.click("logout")
    page.wait_path("/login")
    assert _raw(server, "GET", "/api/user/self", replay)[0] == 401  # a copied cookie is worth nothing now
    # nor in the console: put the old cookie back, and a guarded page still sends the browser to log in
    page.d.add_cookie({"name": "session", "value": cookie, "path": "/", "httpOnly": True})
    page.open("/token")
    page.wait_path("/login")

    _login(page, ROOT_NAME, ROOT_PASSWORD)
    page.open("/token")
    page.wait_path("/token")


def test_relay_is_open_to_any_origin_console_and_api_are_not(server: ConsoleServer) -> None:
    evil = "http://evil.example"
    status, h = _raw(server, "OPTIONS", "/v1/chat/completions", {
        "Origin": evil, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
    assert status == 204 and h["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in h

    status, h = _raw(server, "OPTIONS", "/api/user/self", {"Origin": evil, "Access-Control-Request-Method": "GET"})
    assert status >= 400 and "access-control-allow-origin" not in h
    _status, h = _raw(server, "GET", "/api/status", {"Origin": evil})
    assert "access-control-allow-origin" not in h

    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
    status, _h = _raw(server, "GET", "/_event/?EIO=4&transport=websocket", {**upgrade, "Origin": evil})
    assert status == 403  # the console's websocket only accepts its own origin
    status, _h = _raw(server, "GET", "/_event/?EIO=4&transport=websocket", {**upgrade, "Origin": server.url})
    assert status == 101


def test_unknown_api_paths_answer_json_not_the_console(server: ConsoleServer) -> None:
    """Behind the Reflex app an unmatched path falls through to the console's pages; API clients
    must still get their error object."""
    import json

    for method, path, shape in (("POST", "/v1/no/such", "error"), ("GET", "/v1beta/no/such", "error"),
                                ("GET", "/api/no/such", "success")):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            body = json.loads(resp.read())
        finally:
            conn.close()
        assert resp.status == 404, path
        assert resp.getheader("content-type", "").startswith("application/json"), path
        assert shape in body, path
