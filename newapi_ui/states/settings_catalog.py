"""What /admin/settings shows: its tabs, each a list of sections of options (new-api's keys), with
the label, kind and hint of every field. Options whose key names a secret (`options.is_secret`) are
write-only fields: the page learns only whether one is set."""

from __future__ import annotations

from dataclasses import dataclass

from backend.services import option_rules, options
from newapi_ui.i18n import N_


@dataclass(frozen=True)
class Opt:
    key: str
    label: str  # msgid
    kind: str = "text"  # text | number | bool | textarea | json | select | secret
    hint: str = ""  # msgid
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    title: str  # msgid; "" for a tab of one untitled section
    opts: tuple[Opt, ...]


def _one(*opts: Opt) -> tuple[Section, ...]:
    return (Section("", opts),)


def _secret(key: str, label: str, hint: str = "") -> Opt:
    return Opt(key, label, "secret", hint)


TABS: dict[str, tuple[Section, ...]] = {
    "operation": _one(
        Opt("QuotaPerUnit", N_("Quota per unit (quota for $1)"), "number"),
        Opt("DisplayInCurrencyEnabled", N_("Show quota as money"), "bool"),
        Opt("general_setting.quota_display_type", N_("Quota display"), "select",
            choices=("USD", "CNY", "TOKENS", "CUSTOM")),
        Opt("DisplayTokenStatEnabled", N_("Show token statistics"), "bool"),
        Opt("QuotaForNewUser", N_("Quota for a new user"), "number", N_("In quota units (500000 = $1)")),
        Opt("QuotaForInviter", N_("Quota for the inviter"), "number", N_("In quota units (500000 = $1)")),
        Opt("QuotaForInvitee", N_("Quota for the invitee"), "number", N_("In quota units (500000 = $1)")),
        Opt("PreConsumedQuota", N_("Pre-consumed quota"), "number", N_("Held per request until it is billed")),
        Opt("RetryTimes", N_("Retry times"), "number"),
        Opt("ChannelDisableThreshold", N_("Channel disable threshold (seconds)"), "number"),
        Opt("AutomaticDisableChannelEnabled", N_("Disable failing channels automatically"), "bool"),
        Opt("AutomaticEnableChannelEnabled", N_("Enable recovered channels automatically"), "bool"),
        Opt("AutomaticDisableKeywords", N_("Auto-disable keywords"), "textarea", N_("One per line")),
        Opt("AutomaticDisableStatusCodes", N_("Auto-disable status codes"), "text", N_("e.g. 401,403,500-503")),
        Opt("LogConsumeEnabled", N_("Record usage logs"), "bool"),
        Opt("SelfUseModeEnabled", N_("Self-use mode"), "bool", N_("Unpriced models are allowed")),
    ),
    "ratios": _one(
        Opt("ModelRatio", N_("Model ratios"), "json", N_("Empty object: the built-in prices")),
        Opt("CompletionRatio", N_("Completion ratios"), "json"),
        Opt("ModelPrice", N_("Model prices (US$ per call)"), "json"),
        Opt("CacheRatio", N_("Cache ratios"), "json"),
        Opt("GroupRatio", N_("Group ratios"), "json"),
        Opt("UserUsableGroups", N_("Groups users may choose"), "json", N_("Group name → description")),
    ),
    "pricing": (),  # the price table (components/ratio_table.py) saves the ratio options itself
    "system": _one(
        Opt("SystemName", N_("System name")),
        Opt("Logo", N_("Logo URL")),
        Opt("ServerAddress", N_("Server address")),
        Opt("Footer", N_("Footer"), "textarea"),
        Opt("Notice", N_("Notice"), "textarea"),
        Opt("About", N_("About"), "textarea"),
        Opt("HomePageContent", N_("Home page content"), "textarea"),
        Opt("RegisterEnabled", N_("Allow new accounts"), "bool"),
        Opt("PasswordRegisterEnabled", N_("Allow sign-up with a password"), "bool"),
        Opt("PasswordLoginEnabled", N_("Allow login with a password"), "bool"),
        Opt("EmailVerificationEnabled", N_("Require email verification"), "bool", N_("Needs the SMTP settings")),
    ),
    "smtp": _one(
        Opt("SMTPServer", N_("SMTP server")),
        Opt("SMTPPort", N_("SMTP port"), "number"),
        Opt("SMTPAccount", N_("SMTP account")),
        Opt("SMTPFrom", N_("Sender address"), hint=N_("Empty: the SMTP account")),
        Opt("SMTPSSLEnabled", N_("Use SSL/TLS from the start"), "bool", N_("Usually port 465; off: STARTTLS")),
        _secret("SMTPToken", N_("SMTP password")),
    ),
    "oauth": (
        Section(N_("GitHub"), (
            Opt("GitHubOAuthEnabled", N_("Allow login with GitHub"), "bool"),
            Opt("GitHubClientId", N_("Client ID")),
            _secret("GitHubClientSecret", N_("Client secret")),
        )),
        Section(N_("Discord"), (
            Opt("discord.enabled", N_("Allow login with Discord"), "bool"),
            Opt("discord.client_id", N_("Client ID")),
            _secret("discord.client_secret", N_("Client secret")),
        )),
        Section(N_("LinuxDO"), (
            Opt("LinuxDOOAuthEnabled", N_("Allow login with LinuxDO"), "bool"),
            Opt("LinuxDOClientId", N_("Client ID")),
            Opt("LinuxDOMinimumTrustLevel", N_("Minimum trust level"), "number",
                N_("Accounts below this level are refused")),
            _secret("LinuxDOClientSecret", N_("Client secret")),
        )),
        Section(N_("OIDC"), (
            Opt("oidc.enabled", N_("Allow login with OIDC"), "bool"),
            Opt("oidc.client_id", N_("Client ID")),
            Opt("oidc.well_known", N_("Discovery URL (well-known)"),
                hint=N_("Fills the endpoints left empty below")),
            Opt("oidc.authorization_endpoint", N_("Authorization endpoint")),
            Opt("oidc.token_endpoint", N_("Token endpoint")),
            Opt("oidc.user_info_endpoint", N_("User info endpoint")),
            _secret("oidc.client_secret", N_("Client secret")),
        )),
        Section(N_("WeChat"), (
            Opt("WeChatAuthEnabled", N_("Allow login with WeChat"), "bool"),
            Opt("WeChatServerAddress", N_("WeChat server address")),
            Opt("WeChatAccountQRCodeImageURL", N_("Official account QR code image URL")),
            _secret("WeChatServerToken", N_("WeChat server token")),
        )),
        Section(N_("Telegram"), (
            Opt("TelegramOAuthEnabled", N_("Allow login with Telegram"), "bool"),
            Opt("TelegramBotName", N_("Bot name"), hint=N_("Without the @")),
            _secret("TelegramBotToken", N_("Bot token")),
            _secret("TelegramWebhookSecret", N_("Webhook secret")),
        )),
    ),
    "passkey": _one(
        Opt("passkey.enabled", N_("Allow passkeys"), "bool"),
        Opt("passkey.rp_display_name", N_("Relying party name"), hint=N_("Empty: the system name")),
        Opt("passkey.rp_id", N_("Relying party ID"), hint=N_("A domain; empty: the host of the server address")),
        Opt("passkey.origins", N_("Allowed origins"),
            hint=N_("Comma-separated, e.g. https://a.example.com; empty: the server address")),
        Opt("passkey.user_verification", N_("User verification"), "select",
            choices=("required", "preferred", "discouraged")),
        Opt("passkey.attachment_preference", N_("Authenticator attachment"),
            hint=N_("platform, cross-platform, or empty for any")),
        Opt("passkey.allow_insecure_origin", N_("Allow http:// origins"), "bool",
            N_("Only for testing; localhost is always allowed")),
    ),
    "turnstile": _one(
        Opt("TurnstileCheckEnabled", N_("Check Turnstile on login, sign-up and reset"), "bool"),
        Opt("TurnstileSiteKey", N_("Site key")),
        _secret("TurnstileSecretKey", N_("Secret key")),
    ),
    "payment": (
        Section(N_("Epay"), (
            Opt("PayAddress", N_("Payment address"), hint=N_("The Epay gateway URL")),
            Opt("EpayId", N_("Merchant ID")),
            Opt("CustomCallbackAddress", N_("Callback address"), hint=N_("Empty: the server address")),
            Opt("Price", N_("Price of $1 of quota (in the local currency)"), "number"),
            Opt("MinTopUp", N_("Minimum top-up"), "number"),
            _secret("EpayKey", N_("Merchant key")),
            Opt("PayMethods", N_("Payment methods"), "json", N_('e.g. [{"name": "Alipay", "type": "alipay"}]')),
            Opt("payment_setting.amount_options", N_("Amount options"), "json", N_("e.g. [10, 20, 50]")),
            Opt("payment_setting.amount_discount", N_("Amount discounts"), "json",
                N_('Amount → price factor, e.g. {"100": 0.95}')),
            Opt("TopupGroupRatio", N_("Top-up group ratios"), "json", N_("Group → price factor")),
        )),
        Section(N_("Stripe"), (
            Opt("StripePriceId", N_("Price ID")),
            Opt("StripeUnitPrice", N_("Unit price"), "number"),
            Opt("StripeMinTopUp", N_("Minimum top-up"), "number"),
            Opt("StripePromotionCodesEnabled", N_("Accept promotion codes"), "bool"),
            _secret("StripeApiSecret", N_("API secret key")),
            _secret("StripeWebhookSecret", N_("Webhook signing secret")),
        )),
        Section(N_("Creem"), (
            Opt("CreemTestMode", N_("Test mode"), "bool"),
            _secret("CreemApiKey", N_("API key")),
            _secret("CreemWebhookSecret", N_("Webhook secret")),
            Opt("CreemProducts", N_("Products"), "json",
                N_('e.g. [{"productId": "prod_1", "name": "10 USD", "price": 10, "quota": 5000000}]')),
        )),
        Section(N_("Waffo"), (
            Opt("WaffoEnabled", N_("Accept Waffo payments"), "bool"),
            Opt("WaffoSandbox", N_("Sandbox"), "bool"),
            Opt("WaffoMerchantId", N_("Merchant ID")),
            Opt("WaffoCurrency", N_("Currency")),
            Opt("WaffoUnitPrice", N_("Unit price"), "number"),
            Opt("WaffoMinTopUp", N_("Minimum top-up"), "number"),
            Opt("WaffoNotifyUrl", N_("Notify URL"), hint=N_("Empty: the server address")),
            Opt("WaffoReturnUrl", N_("Return URL"), hint=N_("Empty: the server address")),
            _secret("WaffoApiKey", N_("API key")),
            _secret("WaffoPrivateKey", N_("Private key")),
            _secret("WaffoSandboxApiKey", N_("Sandbox API key")),
            _secret("WaffoSandboxPrivateKey", N_("Sandbox private key")),
            Opt("WaffoPublicCert", N_("Waffo public certificate"), "textarea"),
            Opt("WaffoSandboxPublicCert", N_("Waffo sandbox public certificate"), "textarea"),
            Opt("WaffoPayMethods", N_("Payment methods"), "json", N_("Empty list: the payer chooses at Waffo")),
        )),
        Section(N_("Invite rebates"), (
            Opt("invite_rebate_setting.percent", N_("Rebate (percent of what the invitee pays)"), "number",
                N_("0: off")),
            Opt("invite_rebate_setting.times", N_("On the invitee's first top-ups"), "number"),
        )),
    ),
    "checkin": _one(
        Opt("checkin_setting.enabled", N_("Allow daily check-in"), "bool"),
        Opt("checkin_setting.min_quota", N_("Smallest award"), "number", N_("In quota units (500000 = $1)")),
        Opt("checkin_setting.max_quota", N_("Largest award"), "number", N_("In quota units (500000 = $1)")),
    ),
    "ratelimit": _one(
        Opt("ModelRequestRateLimitEnabled", N_("Limit model requests per user"), "bool"),
        Opt("ModelRequestRateLimitDurationMinutes", N_("Window (minutes)"), "number"),
        Opt("ModelRequestRateLimitCount", N_("Requests per window (0: no limit)"), "number"),
        Opt("ModelRequestRateLimitSuccessCount", N_("Successful requests per window"), "number"),
        Opt("ModelRequestRateLimitGroup", N_("Limits per group"), "json",
            N_('e.g. {"vip": [0, 2000]}: group → [requests, successful requests]')),
    ),
}
TAB_LABELS = {
    "operation": N_("Operation"), "ratios": N_("Ratios & prices"), "pricing": N_("Price table"),
    "system": N_("System"), "smtp": N_("Email"),
    "oauth": N_("Social login"), "passkey": N_("Passkeys"), "turnstile": N_("Turnstile"), "payment": N_("Payment"),
    "checkin": N_("Check-in"), "ratelimit": N_("Rate limits"),
}
DEFAULTABLE = ("ModelRatio", "CompletionRatio", "ModelPrice", "CacheRatio", "GroupRatio")


def tab_opts(tab: str) -> list[Opt]:
    return [o for section in TABS[tab] for o in section.opts]


ALL_OPTS = [o for tab in TABS for o in tab_opts(tab)]
ALL_KEYS = [o.key for o in ALL_OPTS if o.kind != "secret"]
SECRETS: tuple[Opt, ...] = tuple(o for o in ALL_OPTS if o.kind == "secret")
JSON_KEYS = {o.key for o in ALL_OPTS if o.kind == "json"}
# Every field has an entry (empty: no error), so the page never reads a missing key.
NO_ERRORS = {o.key: "" for o in ALL_OPTS}
# The site key is published by /api/status for the widget; only its name ends like a secret's.
_PUBLIC_DESPITE_NAME = {"TurnstileSiteKey"}
assert not any(options.is_secret(k) for k in ALL_KEYS if k not in _PUBLIC_DESPITE_NAME), \
    "a secret option would reach the browser"
assert all(options.is_secret(o.key) for o in SECRETS), "a write-only field for an option that is not secret"
assert set(option_rules.REQUIRES) <= {o.key for o in ALL_OPTS if o.kind == "bool"} | {
    "EmailDomainRestrictionEnabled"}, "a guarded switch missing from the page"

# Refusals of `option_rules` and `options.validate` the page shows, marked for translation.
MESSAGES = (
    N_("the option value must be a string, number or boolean"),
    N_("invalid option key"),
    N_("cannot enable GitHub login: set the GitHub client id first"),
    N_("cannot enable LinuxDO login: set the LinuxDO client id first"),
    N_("cannot enable OIDC login: set the OIDC client id first"),
    N_("cannot enable Discord login: set the Discord client id first"),
    N_("cannot enable Telegram login: set the bot token first"),
    N_("cannot enable WeChat login: set the WeChat server address first"),
    N_("cannot restrict email domains: the domain whitelist is empty"),
    N_("cannot enable Turnstile: set the site key and the secret key first"),
    N_("cannot require email verification: set the SMTP server first"),
    N_("cannot enable passkeys: the origins (or the server address) must be https:// addresses, or localhost"),
)
