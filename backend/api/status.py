"""Public site information: `/api/status`, `/api/notice`, `/api/about`, `/api/home_page_content`."""

from __future__ import annotations

import time

from fastapi import APIRouter

from backend.api.responses import ok
from backend.config import get_settings
from backend.migrate import VERSION
from backend.services import custom_oauth, options, passkey_settings, setup

router = APIRouter(tags=["status"])
_STARTED = int(time.time())


def _json_or(key: str, fallback):  # noqa: ANN001, ANN202
    value = options.get_json(key)
    return value if value is not None else fallback


@router.get("/status")
def status() -> dict:
    o = options
    return ok({
        "version": VERSION,
        "start_time": _STARTED,
        "system_name": o.get("SystemName"),
        "logo": o.get("Logo"),
        "footer_html": o.get("Footer"),
        "server_address": o.get("ServerAddress"),
        "top_up_link": o.get("TopUpLink"),
        "docs_link": o.get("general_setting.docs_link"),
        "quota_per_unit": o.get_float("QuotaPerUnit"),
        "display_in_currency": o.get_bool("DisplayInCurrencyEnabled"),
        "quota_display_type": o.get("general_setting.quota_display_type"),
        "usd_exchange_rate": o.get_float("USDExchangeRate"),
        "price": o.get_float("Price"),
        "min_topup": o.get_int("MinTopUp"),
        "stripe_unit_price": o.get_float("StripeUnitPrice"),
        "enable_online_topup": bool(o.get("PayAddress") and o.get("EpayId")),
        "enable_stripe_topup": bool(o.get("StripePriceId")),
        "email_verification": o.get_bool("EmailVerificationEnabled"),
        "register_enabled": o.get_bool("RegisterEnabled"),
        "password_login_enabled": o.get_bool("PasswordLoginEnabled"),
        "password_register_enabled": o.get_bool("PasswordRegisterEnabled"),
        "github_oauth": o.get_bool("GitHubOAuthEnabled"),
        "github_client_id": o.get("GitHubClientId"),
        "linuxdo_oauth": o.get_bool("LinuxDOOAuthEnabled"),
        "linuxdo_client_id": o.get("LinuxDOClientId"),
        "linuxdo_minimum_trust_level": o.get_int("LinuxDOMinimumTrustLevel"),
        "discord_oauth": o.get_bool("discord.enabled"),
        "discord_client_id": o.get("discord.client_id"),
        "telegram_oauth": o.get_bool("TelegramOAuthEnabled"),
        "telegram_bot_name": o.get("TelegramBotName"),
        "wechat_login": o.get_bool("WeChatAuthEnabled"),
        "wechat_qrcode": o.get("WeChatAccountQRCodeImageURL"),
        "oidc_enabled": o.get_bool("oidc.enabled"),
        "oidc_client_id": o.get("oidc.client_id"),
        "oidc_authorization_endpoint": o.get("oidc.authorization_endpoint"),
        "custom_oauth_providers": custom_oauth.status_list(),
        "turnstile_check": o.get_bool("TurnstileCheckEnabled"),
        "turnstile_site_key": o.get("TurnstileSiteKey"),
        **passkey_settings.public_status(),
        "chats": _json_or("Chats", []),
        "default_collapse_sidebar": o.get_bool("DefaultCollapseSidebar"),
        "enable_batch_update": get_settings().BATCH_UPDATE_ENABLED,
        "enable_drawing": o.get_bool("DrawingEnabled"),
        "enable_task": o.get_bool("TaskEnabled"),
        "enable_data_export": o.get_bool("DataExportEnabled"),
        "data_export_default_time": o.get("DataExportDefaultTime"),
        "display_token_stat": o.get_bool("DisplayTokenStatEnabled"),
        "self_use_mode_enabled": o.get_bool("SelfUseModeEnabled"),
        "demo_site_enabled": o.get_bool("DemoSiteEnabled"),
        "default_use_auto_group": o.get_bool("DefaultUseAutoGroup"),
        "checkin_enabled": o.get_bool("checkin_setting.enabled"),
        "user_agreement_enabled": bool(o.get("legal.user_agreement")),
        "privacy_policy_enabled": bool(o.get("legal.privacy_policy")),
        "uptime_kuma_enabled": o.get_bool("console_setting.uptime_kuma_enabled"),
        "setup": setup.is_initialised(),
    })


@router.get("/notice")
def notice() -> dict:
    return ok(options.get("Notice"))


@router.get("/about")
def about() -> dict:
    return ok(options.get("About"))


@router.get("/home_page_content")
def home_page_content() -> dict:
    return ok(options.get("HomePageContent"))
