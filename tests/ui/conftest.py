"""Fixtures of the browser tests (tests/ui/*_browser.py), written once; the machinery under them
(the console server, chromium, the `Page` waits) is harness.py.

Every test that takes `server` or `page` here is marked `browser` by tests/conftest.py, and is
skipped when Debian's chromium or chromium-driver is missing. A test module tunes its server with
module attributes:

- `FRESH_START = True`: no root user is set up (the module walks through the setup wizard itself);
  by default root (`ROOT_NAME` / `ROOT_PASSWORD`) is set up through `POST /api/setup`;
- `CONSOLE_ENV = {...}`: extra environment for the server (e.g. a shorter ledger flush);
- `WINDOW = (width, height)`: the `page` fixture's window, 1400 x 1000 by default.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from collections.abc import Iterator

import pytest

from tests.fakes.upstream import FakeUpstream
from tests.ui.harness import CHROMEDRIVER, CHROMIUM, ROOT_NAME, ROOT_PASSWORD, ConsoleServer, Page, chromium

HAVE_CHROMIUM = bool(shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER))


@pytest.hookimpl(trylast=True)  # after tests/conftest.py has applied the `browser` marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if HAVE_CHROMIUM:
        return
    skip = pytest.mark.skip(reason="needs Debian's chromium and chromium-driver")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


def set_up_root(server: ConsoleServer) -> None:
    req = urllib.request.Request(
        server.url + "/api/setup", method="POST",
        data=json.dumps({"username": ROOT_NAME, "password": ROOT_PASSWORD,
                         "confirmPassword": ROOT_PASSWORD}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert json.loads(r.read())["success"]


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """The console served like `make run` on a fresh SQLite database, one per test module."""
    module = request.module
    srv = ConsoleServer(tmp_path_factory.mktemp(module.__name__.rsplit(".", 1)[-1]))
    srv.env.update(getattr(module, "CONSOLE_ENV", {}))
    with srv:
        if not getattr(module, "FRESH_START", False):
            set_up_root(srv)
        yield srv


@pytest.fixture
def page(request: pytest.FixtureRequest, server: ConsoleServer) -> Iterator[Page]:
    """A fresh chromium (no cookies, no local storage) on the module's server."""
    width, height = getattr(request.module, "WINDOW", (1400, 1000))
    driver = chromium(width=width, height=height)
    try:
        yield Page(driver, server.url)
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeUpstream]:
    """An OpenAI-compatible upstream on loopback for the module's channels."""
    with FakeUpstream() as upstream:
        yield upstream
