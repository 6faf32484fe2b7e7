"""Admin-side checks before an option is saved: no OAuth provider switched on without its
credentials (the login page would offer a button that cannot work)."""

from __future__ import annotations

from typing import Any

from backend.services import options, payment_compliance, uptime_kuma
from backend.services.errors import ServiceError, msg

# switch -> (option that must be non-empty, what to tell the admin)
_REQUIRES = {
    "GitHubOAuthEnabled": ("GitHubClientId", "GitHub OAuth needs a client id first"),
    "LinuxDOOAuthEnabled": ("LinuxDOClientId", "LinuxDO OAuth needs a client id first"),
    "oidc.enabled": ("oidc.client_id", "OIDC needs a client id first"),
    "discord.enabled": ("discord.client_id", "Discord OAuth needs a client id first"),
    "TelegramOAuthEnabled": ("TelegramBotToken", "Telegram login needs a bot token first"),
    "WeChatAuthEnabled": ("WeChatServerAddress", "WeChat login needs the WeChat server address first"),
    "EmailDomainRestrictionEnabled": ("EmailDomainWhitelist", "the email domain whitelist is empty"),
    "TurnstileCheckEnabled": ("TurnstileSiteKey", "Turnstile needs a site key first"),
}


def as_string(value: Any) -> str:
    """new-api's UI sends booleans and numbers as JSON values; options store strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float | str):
        return str(value)
    raise ServiceError(msg("the option value must be a string, number or boolean"))


def save(key: str, value: Any) -> None:
    text = as_string(value)
    if payment_compliance.is_compliance_key(key):
        raise ServiceError(msg("the payment terms are confirmed with their own action, not as an option"))
    if key == uptime_kuma.GROUPS_OPTION:
        uptime_kuma.parse_groups(text)  # refused now rather than ignored at every status read
    need = _REQUIRES.get(key)
    if need and text.strip().lower() == "true" and not options.get(need[0]).strip():
        raise ServiceError(msg("cannot enable {key}: {need}", key=key, need=need[1]))
    options.update(key, text)


def listing() -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(options.all_public().items())]
