"""The console's social-login helpers: which buttons the login page shows and where they go, the
Telegram link's QR code, and the rows of the Linked accounts section."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

from backend.services import options
from newapi_ui.states import oauth_login
from tests.api.mgmt_helpers import make_user


def test_buttons_only_for_enabled_providers_with_the_state_placeholder(sqlite_storage):
    assert oauth_login._providers() == []
    options.update("ServerAddress", "https://gw.example")
    options.update("GitHubClientId", "gh-id")
    options.update("GitHubOAuthEnabled", "true")
    [github] = oauth_login._providers()
    assert github["slug"] == "github"
    query = parse_qs(urlsplit(github["url"]).query)
    assert query["client_id"] == ["gh-id"] and query["state"] == [oauth_login.STATE_MARK]
    assert query["redirect_uri"] == ["https://gw.example/oauth/github"]
    assert "__STATE__" in oauth_login.go_script(github["url"])


def test_qr_code_is_an_svg_data_uri():
    uri = oauth_login.qr_svg("https://t.me/bot?start=abc")
    assert uri.startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(uri.split(",", 1)[1])


def test_linked_accounts_rows(sqlite_storage):
    user = make_user("zoe")
    assert oauth_login._bindings(user) == []
    options.update("oidc.client_id", "x")
    options.update("oidc.enabled", "true")
    user.telegram_id = "42"
    rows = oauth_login._bindings(user)
    assert {"kind": "oidc", "name": "OIDC", "bound": "", "id": ""} in rows
    assert {"kind": "telegram", "name": "Telegram", "bound": "42", "id": ""} in rows
