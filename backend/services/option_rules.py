"""Admin-side checks before an option is saved: no switch turned on without the settings it needs
(an OAuth provider without its client id would put a button on the login page that cannot work;
email verification without an SMTP server would lock every new account out)."""

from __future__ import annotations

from typing import Any

from backend.services import options, passkey_settings, payment_compliance, uptime_kuma
from backend.services.errors import ServiceError

# switch -> (options that must be non-empty, the refusal: a whole sentence, so the console can
# translate it)
REQUIRES: dict[str, tuple[tuple[str, ...], str]] = {
    "GitHubOAuthEnabled": (("GitHubClientId",), "cannot enable GitHub login: set the GitHub client id first"),
    "LinuxDOOAuthEnabled": (("LinuxDOClientId",), "cannot enable LinuxDO login: set the LinuxDO client id first"),
    "oidc.enabled": (("oidc.client_id",), "cannot enable OIDC login: set the OIDC client id first"),
    "discord.enabled": (("discord.client_id",), "cannot enable Discord login: set the Discord client id first"),
    "TelegramOAuthEnabled": (("TelegramBotToken",), "cannot enable Telegram login: set the bot token first"),
    "WeChatAuthEnabled": (("WeChatServerAddress",),
                          "cannot enable WeChat login: set the WeChat server address first"),
    "EmailDomainRestrictionEnabled": (("EmailDomainWhitelist",),
                                      "cannot restrict email domains: the domain whitelist is empty"),
    "TurnstileCheckEnabled": (("TurnstileSiteKey", "TurnstileSecretKey"),
                              "cannot enable Turnstile: set the site key and the secret key first"),
    "EmailVerificationEnabled": (("SMTPServer",),
                                 "cannot require email verification: set the SMTP server first"),
}


def as_string(value: Any) -> str:
    """new-api's UI sends booleans and numbers as JSON values; options store strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float | str):
        return str(value)
    raise ServiceError("the option value must be a string, number or boolean")


def save(key: str, value: Any) -> None:
    text = as_string(value)
    if payment_compliance.is_compliance_key(key):
        raise ServiceError("the payment terms are confirmed with their own action, not as an option")
    if key == uptime_kuma.GROUPS_OPTION:
        uptime_kuma.parse_groups(text)  # refused now rather than ignored at every status read
    if key == "passkey.enabled" and text.strip().lower() == "true":
        _check_passkey_origins()
    need = REQUIRES.get(key)
    if need and text.strip().lower() == "true" and not all(options.get(k).strip() for k in need[0]):
        raise ServiceError(need[1])
    options.update(key, text)


def listing() -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(options.all_public().items())]


PASSKEY_ORIGIN_REFUSAL = ("cannot enable passkeys: the origins (or the server address) must be https:// "
                          "addresses, or localhost")


def _check_passkey_origins() -> None:
    """Passkeys on with an origin browsers refuse would fail every ceremony with a 503: refuse
    the switch now, while the admin is looking at the settings."""
    try:
        passkey_settings.relying_party()
    except ServiceError as exc:
        raise ServiceError(PASSKEY_ORIGIN_REFUSAL) from exc
