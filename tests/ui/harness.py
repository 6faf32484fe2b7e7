"""Serve the built console like `make run` (Reflex prod, one port) on a free port with a fresh
SQLite database, and drive Debian's chromium against it. The pytest fixtures over these are in
conftest.py."""

from __future__ import annotations

import contextlib
import fcntl
import http.cookiejar
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
START_TIMEOUT = 240  # a cold start compiles the pages and runs the bundler
LOCK_TIMEOUT = 1800  # another test run in this checkout holding .web (see _hold_build_lock)
WAIT = 30
ROOT_NAME, ROOT_PASSWORD = "root", "rootpass123"  # the root user the tests set up (or the wizard makes)
# The console's pages a root user reaches from the sidebar, and the bare ones a visitor reaches logged
# out: the accessibility tests walk all of them.
USER_ROUTES = ("/", "/detail", "/token", "/log", "/midjourney", "/task", "/playground", "/topup", "/setting",
               "/pricing", "/about", "/channel", "/user", "/redemption", "/models", "/vendors", "/admin/orders",
               "/admin/plans", "/admin/settings", "/ratio_sync", "/performance")
PUBLIC_ROUTES = ("/login", "/register", "/reset")
# axe-core's rules (tools/package.json), injected into a page by `axe_violations`.
AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
AXE_BLOCKING = ("serious", "critical")
_AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + n.html.slice(0, 100)
                                      + ' ' + JSON.stringify((n.any[0] || {}).data || ''))}))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Session:
    """What the servers of one pytest process share: the build of .web, its lock and its port.

    The first server runs `reflex run --env prod` exactly like `make run` (compile + bundle). The
    bundle bakes its port into the websocket URL, so later servers reuse that port and serve the
    same build straight from granian (Reflex's own skip-compile switches), starting in a second.
    The lock on .web is held until this process ends, so another test run in the same checkout
    cannot rebuild the bundle (with another port) under us.
    """

    lock = None
    port = 0
    built = False


_session = _Session()


def _hold_build_lock() -> None:
    if _session.lock is None:
        (ROOT / ".web").mkdir(exist_ok=True)
        lock = (ROOT / ".web" / ".ui-tests.lock").open("a")  # closed (released) at exit
        # Another pytest process in this checkout holds it until it ends: wait for it, but a bounded
        # time, so a run that sent browser tests to two workers fails rather than hangs.
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    lock.close()
                    raise RuntimeError(f"another test process kept {ROOT / '.web'} for {LOCK_TIMEOUT} s") from None
                time.sleep(1)
        _session.lock = lock


class ConsoleServer:
    def __init__(self, workdir: Path) -> None:
        if not _session.port:
            _session.port = free_port()
        self.port = _session.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_path = workdir / "one-api.db"
        self.log_path = workdir / "server.log"
        bindir = Path(sys.executable).parent
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SQL_", "REDIS_", "NEWAPI_"))},
            "PATH": f"{ROOT / 'tools/node_modules/.bin'}:{bindir}:{os.environ.get('PATH', '')}",
            "PORT": str(self.port),
            "SQL_DSN": "",
            "SQLITE_PATH": str(self.db_path),
            "SESSION_SECRET": "ui-test-session-secret",
            "GLOBAL_API_RATE_LIMIT_ENABLE": "false",
            "CRITICAL_RATE_LIMIT_ENABLE": "false",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "false",
            "NPM_CONFIG_REGISTRY": "https://registry.npmjs.org",
        }
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> ConsoleServer:
        _hold_build_lock()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        _session.built = True
        return self

    def _command(self) -> tuple[list[str], dict[str, str]]:
        bindir = Path(sys.executable).parent
        if not _session.built:
            return [str(bindir / "reflex"), "run", "--env", "prod", "--frontend-port", str(self.port),
                    "--backend-port", str(self.port)], self.env
        env = {**self.env, "REFLEX_ENV_MODE": "prod", "__REFLEX_SKIP_COMPILE": "true",
               "__REFLEX_MOUNT_FRONTEND_COMPILED_APP": "true"}
        return [str(bindir / "granian"), "--interface", "asgi", "--factory", "--host", "127.0.0.1",
                "--port", str(self.port), "--workers", "1", "newapi_ui.newapi_ui:app"], env

    def _start(self) -> None:
        subprocess.run([sys.executable, "-m", "backend.cli", "migrate"], cwd=ROOT, env=self.env, check=True,
                       capture_output=True)
        cmd, env = self._command()
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        proc = self.proc
        try:
            wait_until(lambda: proc.poll() is not None or (self._up("/ping") and self._up("/")),
                       "the console server", START_TIMEOUT, interval=0.5)
        except AssertionError:
            raise RuntimeError(f"console server did not start:\n{self.log_path.read_text()[-4000:]}") from None
        if proc.poll() is not None:
            raise RuntimeError(f"console server exited:\n{self.log_path.read_text()[-4000:]}")

    def _up(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        """End the server's own process group (reflex and the workers it started), all of it: the
        next server binds the same port, and a straggling worker would still answer there."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        try:
            wait_until(lambda: not _group_alive(pgid), "the server's workers to end", 10, interval=0.1)
        except AssertionError:  # SIGKILL what is left after 10 s, and give it 20 s more
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            with contextlib.suppress(AssertionError):  # a straggler then fails the next server's start
                wait_until(lambda: not _group_alive(pgid), "the server's workers to end", 20, interval=0.1)
        self.proc = None

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def query(self, sql: str, *args: object) -> list[tuple]:
        """Read (or write) the server's SQLite database directly, to check what a flow stored."""
        with sqlite3.connect(self.db_path) as db:
            return db.execute(sql, args).fetchall()


def chromium(*, width: int = 1280, height: int = 900, accept_language: str = "en-US,en") -> WebDriver:
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager download a browser or driver
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--disable-sync", f"--window-size={width},{height}"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"intl.accept_languages": accept_language})
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT)
    return driver


class Page:
    """Small waits over a driver, so tests read as steps."""

    def __init__(self, driver: WebDriver, base_url: str) -> None:
        self.d = driver
        self.base = base_url

    def open(self, path: str) -> None:
        self.d.get(self.base + path)

    def _wait(self, condition, message: str, ignored: tuple = ()) -> object:
        """WebDriverWait that, on timeout, leaves a screenshot and says where the page was."""
        try:
            return WebDriverWait(self.d, WAIT, ignored_exceptions=ignored).until(condition)
        except TimeoutException:
            shot = self.shot("failure")
            body = self.d.find_element(By.TAG_NAME, "body").text[:1500]
            raise TimeoutException(f"{message}; at {self.d.current_url} ({shot}):\n{body}") from None

    def until(self, condition, message: str) -> object:  # noqa: ANN001
        """Wait for `condition(driver)`; a re-render mid-check (stale element) is retried."""
        return self._wait(condition, message, (StaleElementReferenceException,))

    def path(self) -> str:
        return self.d.current_url.removeprefix(self.base).split("?")[0].rstrip("/") or "/"

    def wait_path(self, path: str) -> None:
        self._wait(lambda _d: self.path() == path, f"expected {path}")

    def el(self, element_id: str) -> WebElement:
        return self._wait(lambda d: d.find_element(By.ID, element_id), f"no #{element_id}", (NoSuchElementException,))

    def wait_text(self, element_id: str, text: str) -> None:
        self._wait(
            lambda d: text in (d.find_element(By.ID, element_id).text if d.find_elements(By.ID, element_id) else ""),
            f"#{element_id} never showed {text!r}", (StaleElementReferenceException,),
        )

    def wait_body_text(self, text: str) -> None:
        self._wait(lambda d: text in d.find_element(By.TAG_NAME, "body").text, f"page never showed {text!r}",
                   (StaleElementReferenceException,))

    def wait_value(self, element_id: str, value: str) -> None:
        self._wait(lambda _d: self.el(element_id).get_attribute("value") == value,
                   f"#{element_id} never held {value!r}", (StaleElementReferenceException,))

    def fill(self, element_id: str, value: str) -> None:
        box = self.el(element_id)
        box.clear()
        box.send_keys(value)

    def click(self, element_id: str) -> None:
        """Click once the element is there and enabled; re-find it if React re-rendered it meanwhile."""

        def attempt(d: WebDriver) -> bool:
            element = d.find_element(By.ID, element_id)
            if not element.is_enabled():
                return False
            element.click()
            return True

        self._wait(attempt, f"could not click #{element_id}", (StaleElementReferenceException, NoSuchElementException))

    def login(self, username: str = ROOT_NAME, password: str = ROOT_PASSWORD) -> None:
        """Through the login page, landing on the home page."""
        self.open("/login")
        self.wait_path("/login")
        self.fill("username", username)
        self.fill("password", password)
        self.click("submit")
        self.wait_path("/")

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.d.save_screenshot(str(path))
        return path


def login(page: Page, username: str, password: str, label: str = "") -> None:
    page.open("/login")
    page.wait_path("/login")
    page.fill("username", username)
    page.fill("password", password)
    page.click("submit")
    page.wait_path("/")
    # The user menu shows the display name or the username.
    names = {username, label or username}
    WebDriverWait(page.d, WAIT).until(
        lambda d: any(e.text.strip() in names for e in d.find_elements(By.ID, "user-menu")), "not logged in")


def axe_violations(page: Page) -> list[str]:
    """axe-core over the page as it is now (open dialogs included): its serious and critical
    violations, one line each (rule, help, the first nodes with their HTML and, for contrast, the
    colours axe measured). Callers skip when `AXE` is missing."""
    page.d.set_script_timeout(120)  # a hang guard: a big page takes axe a few seconds
    page.d.execute_script(AXE.read_text(encoding="utf-8"))
    found = page.d.execute_async_script(_AXE_RUN)
    return [f"{v['id']} ({v['impact']}): {v['help']} -> {v['nodes']}" for v in found if v["impact"] in AXE_BLOCKING]


def no_toasts(page: Page) -> None:
    """Toasts sit over the top of the page for a few seconds: close them and wait until they are gone."""
    page.d.execute_script("document.querySelectorAll('[data-sonner-toast] [data-close-button]')"
                          ".forEach(b => b.click())")
    WebDriverWait(page.d, WAIT).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-sonner-toast]"),
                                      "toasts never went away")


def click_tab(page: Page, name: str) -> None:
    """Tabs sit at the top, under the sticky top bar once the page has scrolled."""
    no_toasts(page)
    page.d.execute_script("window.scrollTo(0, 0)")
    page.click(f"tab-{name}")


class Api:
    """The management API with the root's session cookie, to set the stage like an admin would."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.user_id = 0

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.user_id:
            headers["New-Api-User"] = str(self.user_id)
        req = urllib.request.Request(self.base + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
        with self.opener.open(req, timeout=10) as r:
            reply = json.loads(r.read())
        assert reply["success"], reply
        return reply

    def login(self, username: str, password: str) -> Api:
        self.user_id = self.call("POST", "/api/user/login", {"username": username, "password": password})["data"]["id"]
        return self

    def as_root(self) -> Api:
        """Set up the root user when the instance is fresh, then log in as root."""
        if not self.call("GET", "/api/setup")["data"]["status"]:
            self.call("POST", "/api/setup", {"username": ROOT_NAME, "password": ROOT_PASSWORD,
                                             "confirmPassword": ROOT_PASSWORD})
        return self.login(ROOT_NAME, ROOT_PASSWORD)

    def option(self, key: str, value: str) -> None:
        self.call("PUT", "/api/option/", {"key": key, "value": value})
