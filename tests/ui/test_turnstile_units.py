"""The console's register and reset handlers check Turnstile with the API's rule (they call the
services directly, so the API's dependency does not cover them): against the fake siteverify."""

from __future__ import annotations

import asyncio

import pytest

from backend.config import reset_settings
from backend.services import options
from newapi_ui.components import turnstile
from tests.fakes.turnstile import GOOD_TOKEN, SECRET, FakeSiteverify


def test_the_console_refuses_a_missing_or_bad_token(sqlite_storage, monkeypatch: pytest.MonkeyPatch):
    assert asyncio.run(turnstile.refusal("", "127.0.0.1")) is None  # off: nothing to check
    with FakeSiteverify() as fake:
        monkeypatch.setenv("TURNSTILE_VERIFY_URL", fake.url)
        reset_settings()
        options.update("TurnstileSiteKey", "site-key")
        options.update("TurnstileSecretKey", SECRET)
        options.update("TurnstileCheckEnabled", "true")
        assert "empty" in asyncio.run(turnstile.refusal("", "127.0.0.1"))
        assert "failed" in asyncio.run(turnstile.refusal("forged", "127.0.0.1"))
        assert asyncio.run(turnstile.refusal(GOOD_TOKEN, "127.0.0.1")) is None
        assert fake.forms[-1]["remoteip"] == "127.0.0.1"
