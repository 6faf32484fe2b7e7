import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.models.enums import Role
from backend.services import options

SECRETS = {
    "oidc.client_secret": "oidc-secret-value",
    "SMTPToken": "smtp-token-value",
    "GitHubClientSecret": "gh-secret-value",
    "TurnstileSecretKey": "turnstile-secret-value",
    "EpayKey": "epay-key-value",
    "StripeWebhookSecret": "whsec-value",
    "TelegramBotToken": "tg-token-value",
}


def test_get_options_never_returns_secrets(storage):
    root = make_user("root", Role.ROOT)
    for key, value in SECRETS.items():
        options.update(key, value)
    r = app_client().get("/api/option/", headers=auth(root))
    listed = {o["key"]: o["value"] for o in data(r)}
    assert listed["SystemName"] == "New API"
    for key, value in SECRETS.items():
        assert value not in r.text
        assert key.lower() not in {k.lower() for k in listed}


def test_options_are_root_only(storage):
    admin = make_user("admin", Role.ADMIN)
    c = app_client()
    refused(c.get("/api/option/", headers=auth(admin)), 403)
    refused(c.put("/api/option/", json={"key": "SystemName", "value": "x"}, headers=auth(admin)), 403)
    assert options.get("SystemName") == "New API"


def test_put_option_stringifies_and_validates(storage):
    root = make_user("root", Role.ROOT)
    c = app_client()
    data(c.put("/api/option/", json={"key": "SystemName", "value": "Acme"}, headers=auth(root)))
    data(c.put("/api/option/", json={"key": "DisplayInCurrencyEnabled", "value": False}, headers=auth(root)))
    data(c.put("/api/option/", json={"key": "QuotaForNewUser", "value": 42}, headers=auth(root)))
    assert options.get("SystemName") == "Acme"
    assert options.get("DisplayInCurrencyEnabled") == "false"
    assert options.get("QuotaForNewUser") == "42"
    refused(c.put("/api/option/", json={"key": "GroupRatio", "value": "{broken"}, headers=auth(root)), 400)
    refused(c.put("/api/option/", json={"key": "SystemName", "value": {"a": 1}}, headers=auth(root)), 400)


@pytest.mark.parametrize(("switch", "needs", "says"), [
    ("GitHubOAuthEnabled", ["GitHubClientId"], "set the GitHub client id first"),
    ("oidc.enabled", ["oidc.client_id"], "set the OIDC client id first"),
    ("LinuxDOOAuthEnabled", ["LinuxDOClientId"], "set the LinuxDO client id first"),
    ("TelegramOAuthEnabled", ["TelegramBotToken"], "set the bot token first"),
    ("EmailVerificationEnabled", ["SMTPServer"], "set the SMTP server first"),
    ("TurnstileCheckEnabled", ["TurnstileSiteKey", "TurnstileSecretKey"], "set the site key and the secret key"),
])
def test_a_switch_needs_its_settings(storage, switch, needs, says):
    root = make_user("root", Role.ROOT)
    c = app_client()
    for i, need in enumerate(needs):
        message = refused(c.put("/api/option/", json={"key": switch, "value": "true"}, headers=auth(root)), 400)
        assert says in message
        assert options.get_bool(switch) is False
        data(c.put("/api/option/", json={"key": need, "value": f"value-{i}"}, headers=auth(root)))
    data(c.put("/api/option/", json={"key": switch, "value": True}, headers=auth(root)))
    assert options.get_bool(switch) is True
    data(c.put("/api/option/", json={"key": switch, "value": False}, headers=auth(root)))


def test_passkeys_need_an_origin_browsers_accept(storage):
    root = make_user("root", Role.ROOT)
    c = app_client()
    data(c.put("/api/option/", json={"key": "ServerAddress", "value": "http://console.example.com"},
               headers=auth(root)))
    message = refused(c.put("/api/option/", json={"key": "passkey.enabled", "value": True}, headers=auth(root)), 400)
    assert "https://" in message and options.get_bool("passkey.enabled") is False
    data(c.put("/api/option/", json={"key": "passkey.origins", "value": "https://console.example.com"},
               headers=auth(root)))
    data(c.put("/api/option/", json={"key": "passkey.enabled", "value": True}, headers=auth(root)))
    assert options.get_bool("passkey.enabled") is True


def test_groups(storage):
    admin, user = make_user("admin", Role.ADMIN), make_user("user")
    c = app_client()
    assert data(c.get("/api/group/", headers=auth(admin))) == ["default", "svip", "vip"]
    options.update("GroupRatio", '{"default": 1, "team": 0.5}')
    assert data(c.get("/api/group/", headers=auth(admin))) == ["default", "team"]
    refused(c.get("/api/group/", headers=auth(user)), 403)
