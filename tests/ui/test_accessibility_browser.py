"""Issue #15 item 9 in a real browser: `<html lang>` follows the console's language, every page has
one <main>, one <header> and a <nav>, the current page's link says `aria-current="page"`, one h1
per page, every form control has a name (a <label>, or aria-label), no button sits inside a link,
the login page focuses the username and no two pages share a title.
Screenshots: artifacts/screenshots/a11y-*.png."""

from __future__ import annotations

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.ui.harness import (
    PUBLIC_ROUTES,
    ROOT_NAME,
    ROOT_PASSWORD,
    USER_ROUTES,
    WAIT,
    ConsoleServer,
    Page,
    chromium,
    login,
)

# What the checks read in one go inside the page.
AUDIT = """
const visible = el => !el.closest('[aria-hidden="true"]') && el.getAttribute('type') !== 'hidden';
const named = el => el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.closest('label')
    || (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) || el.getAttribute('title');
const current = Array.from(document.querySelectorAll('[aria-current="page"]')).map(a => a.id);
return {
  lang: document.documentElement.lang,
  title: document.title,
  main: document.querySelectorAll('main').length,
  header: document.querySelectorAll('header').length,
  nav: document.querySelectorAll('nav').length,
  h1: Array.from(document.querySelectorAll('h1')).map(h => h.innerText),
  nested: document.querySelectorAll('a button, button a, a [role="button"]').length,
  unnamed: Array.from(document.querySelectorAll('input, textarea, select')).filter(visible)
      .filter(el => !named(el)).map(el => el.id || el.name || el.outerHTML.slice(0, 80)),
  current: current,
};
"""


def _audit(page: Page) -> dict:
    return page.d.execute_script(AUDIT)


def _settled(page: Page) -> dict:
    """The audit once the page has rendered its heading."""
    found: list[dict] = []

    def ready(_d: object) -> bool:
        found[:] = [_audit(page)]
        return bool(found[0]["h1"]) and found[0]["main"] >= 1

    WebDriverWait(page.d, WAIT).until(ready, f"{page.path()} never rendered its h1")
    return found[0]


def _problems(route: str, audit: dict, *, nav: bool = True) -> list[str]:
    """What is wrong with the page; the bare pages (login, sign-up) have no navigation."""
    found = []
    if audit["main"] != 1 or audit["header"] != 1 or (nav and audit["nav"] < 1):
        found.append(f"{route}: {audit['main']} main, {audit['header']} header, {audit['nav']} nav")
    if len(audit["h1"]) != 1:
        found.append(f"{route}: h1 {audit['h1']}")
    if audit["nested"]:
        found.append(f"{route}: a button inside a link")
    if audit["unnamed"]:
        found.append(f"{route}: unnamed controls {audit['unnamed']}")
    return found


def _check(route: str, audit: dict) -> None:
    assert _problems(route, audit, nav=False) == []


def test_login_focuses_username_and_html_lang_follows_the_language(server: ConsoleServer, page: Page) -> None:
    page.open("/login")
    page.el("username")
    WebDriverWait(page.d, WAIT).until(lambda d: d.execute_script("return document.activeElement.id") == "username",
                                      "the username box never had the focus")
    audit = _settled(page)
    _check("/login", audit)
    assert audit["lang"] == "en"
    for code, tag, heading in (("zh_CN", "zh-CN", "登录"), ("ja", "ja", "ログイン")):
        page.click("lang-menu")
        page.click(f"lang-{code}")
        WebDriverWait(page.d, WAIT).until(lambda d, t=tag: d.execute_script("return document.documentElement.lang") == t,
                                          f"<html lang> never became {tag}")
        WebDriverWait(page.d, WAIT).until(lambda _d, h=heading: _audit(page)["h1"] == [h], f"h1 never read {heading}")
        page.shot(f"a11y-login-{code}")
    page.open("/login")  # the chosen language is kept, and set again on a fresh load
    WebDriverWait(page.d, WAIT).until(lambda d: d.execute_script("return document.documentElement.lang") == "ja",
                                      "<html lang> lost the chosen language on reload")


def test_every_page_has_landmarks_one_h1_named_controls_and_its_own_title(server: ConsoleServer, page: Page) -> None:
    titles: dict[str, str] = {}
    visitor = Page(chromium(width=1400, height=1000), server.url)
    try:
        for route in PUBLIC_ROUTES:
            visitor.open(route)
            visitor.wait_path(route)
            audit = _settled(visitor)
            _check(route, audit)
            titles[route] = audit["title"]
    finally:
        visitor.d.quit()

    login(page, ROOT_NAME, ROOT_PASSWORD)
    problems: list[str] = []
    for route in USER_ROUTES:
        page.open(route)
        page.wait_path(route)
        audit = _settled(page)
        problems += _problems(route, audit)
        nav_id = f"nav-{route.strip('/') or 'home'}"
        try:
            WebDriverWait(page.d, WAIT).until(lambda _d, n=nav_id: n in _audit(page)["current"])
        except TimeoutException:
            link = page.d.find_element(By.ID, nav_id).get_attribute("outerHTML")[:300]
            raise AssertionError(f"{nav_id} never said aria-current=page: {link}") from None
        assert len(_audit(page)["current"]) == 1, route
        titles[route] = audit["title"]
    assert problems == []
    assert all(titles.values()), titles
    assert len(set(titles.values())) == len(titles), titles  # no two pages share a title

    page.open("/channel")
    page.el("ch-add")
    assert page.d.find_element(By.ID, "nav-channel").get_attribute("aria-current") == "page"
    assert page.d.find_element(By.ID, "nav-token").get_attribute("aria-current") == "false"
    page.click("ch-add")  # the channel form's controls are named too
    page.el("ch-name")
    unnamed = _audit(page)["unnamed"]
    assert unnamed == [], unnamed
    page.shot("a11y-channel-form")
