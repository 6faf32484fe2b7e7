"""/admin/settings (root only): instance options through `backend.services.option_rules` (the same
checks as PUT /api/option/). Secret options are write-only: the page learns only whether one is set,
never its value, so it never reaches the browser."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from backend.models.enums import Role
from backend.services import option_rules, options, ratios
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.components.json_editor import pretty
from newapi_ui.i18n import N_
from newapi_ui.states.admin_gate import RoleGate
from newapi_ui.states.auth import AuthState


@dataclass(frozen=True)
class Opt:
    key: str
    label: str  # msgid
    kind: str = "text"  # text | number | bool | textarea | json | select
    hint: str = ""  # msgid
    choices: tuple[str, ...] = ()


TABS: dict[str, tuple[Opt, ...]] = {
    "operation": (
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
    "ratios": (
        Opt("ModelRatio", N_("Model ratios"), "json", N_("Empty object: the built-in prices")),
        Opt("CompletionRatio", N_("Completion ratios"), "json"),
        Opt("ModelPrice", N_("Model prices (US$ per call)"), "json"),
        Opt("CacheRatio", N_("Cache ratios"), "json"),
        Opt("GroupRatio", N_("Group ratios"), "json"),
        Opt("UserUsableGroups", N_("Groups users may choose"), "json", N_("Group name → description")),
    ),
    "system": (
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
        Opt("EmailVerificationEnabled", N_("Require email verification"), "bool"),
    ),
    "ratelimit": (
        Opt("ModelRequestRateLimitEnabled", N_("Limit model requests per user"), "bool"),
        Opt("ModelRequestRateLimitDurationMinutes", N_("Window (minutes)"), "number"),
        Opt("ModelRequestRateLimitCount", N_("Requests per window (0: no limit)"), "number"),
        Opt("ModelRequestRateLimitSuccessCount", N_("Successful requests per window"), "number"),
        Opt("ModelRequestRateLimitGroup", N_("Limits per group"), "json",
            N_('e.g. {"vip": [0, 2000]}: group → [requests, successful requests]')),
    ),
}
# Write-only credentials shown on the System tab.
SECRETS: tuple[Opt, ...] = (
    Opt("SMTPToken", N_("SMTP password")),
    Opt("GitHubClientSecret", N_("GitHub client secret")),
    Opt("TurnstileSecretKey", N_("Turnstile secret key")),
    Opt("TelegramBotToken", N_("Telegram bot token")),
    Opt("WeChatServerToken", N_("WeChat server token")),
)
TAB_LABELS = {"operation": N_("Operation"), "ratios": N_("Ratios & prices"), "system": N_("System"),
              "ratelimit": N_("Rate limits")}
DEFAULTABLE = ("ModelRatio", "CompletionRatio", "ModelPrice", "CacheRatio", "GroupRatio")
ALL_KEYS = [o.key for opts in TABS.values() for o in opts]
# Every field has an entry (empty: no error), so the page never reads a missing key.
NO_ERRORS = {k: "" for k in [*ALL_KEYS, *(o.key for o in SECRETS)]}
assert not any(options.is_secret(k) for k in ALL_KEYS), "a secret option would reach the browser"


JSON_KEYS = {o.key for opts in TABS.values() for o in opts if o.kind == "json"}


def _read() -> tuple[dict[str, str], dict[str, bool]]:
    """The shown options (JSON indented for editing) and, for secrets, only whether each is set."""
    values = options.all_values()
    shown = {k: pretty(values.get(k, "")) if k in JSON_KEYS else values.get(k, "") for k in ALL_KEYS}
    return shown, {o.key: bool(values.get(o.key, "").strip()) for o in SECRETS}


class AdminSettingsState(RoleGate, AuthState):
    tab: str = "operation"
    values: dict[str, str] = {}
    errors: dict[str, str] = NO_ERRORS
    secret_set: dict[str, bool] = {}
    secret_input: dict[str, str] = {}
    saving: bool = False
    _loaded: dict[str, str] = {}

    async def _refresh(self) -> None:
        values, secret_set = await backend_bridge.call(_read)
        self.values, self._loaded, self.secret_set = values, dict(values), secret_set
        self.errors, self.secret_input = dict(NO_ERRORS), {o.key: "" for o in SECRETS}

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self._guard(Role.ROOT)
        if redirect is not None:
            return redirect
        await self._refresh()
        return None

    @rx.event
    def set_tab(self, tab: str) -> None:
        if tab in TABS:
            self.tab = tab

    @rx.event
    def set_value(self, key: str, value: str) -> None:
        if key in ALL_KEYS:
            self.values = {**self.values, key: value}
            self.errors = {**self.errors, key: ""}

    @rx.event
    def set_flag(self, key: str, on: bool) -> None:
        self.set_value(key, "true" if on else "false")

    @rx.event
    def set_secret(self, key: str, value: str) -> None:
        if any(o.key == key for o in SECRETS):
            self.secret_input = {**self.secret_input, key: value}

    @rx.event
    async def load_default(self, key: str):  # noqa: ANN201
        if key in DEFAULTABLE and (await self._require(Role.ROOT))[0] is not None:
            self.set_value(key, pretty(await backend_bridge.call(ratios.default_json, key)))

    def _changes(self, tab: str) -> list[tuple[str, str]]:
        """(key, value) pairs that differ from what was loaded; JSON is judged by the service."""
        changes = [(o.key, self.values.get(o.key, "")) for o in TABS[tab]
                   if self.values.get(o.key, "") != self._loaded.get(o.key, "")]
        if tab == "system":
            changes += [(o.key, self.secret_input[o.key]) for o in SECRETS if self.secret_input.get(o.key)]
        return changes

    @rx.event
    async def save(self):  # noqa: ANN201
        """Save what changed on the current tab; each option passes the service's checks or is refused."""
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        changes = self._changes(self.tab)
        if not changes:
            return rx.toast.info(self.tr("Nothing changed"))
        self.saving = True
        refused: dict[str, str] = {}
        saved = 0
        try:
            for key, value in changes:
                try:
                    await backend_bridge.call(option_rules.save, key, value)
                    saved += 1
                except ServiceError as exc:
                    refused[key] = self.tr_error(exc)
        finally:
            self.saving = False
        loaded = await backend_bridge.call(_read)
        self._loaded, self.secret_set = loaded[0], loaded[1]
        self.values = {k: (self.values.get(k, "") if k in refused else loaded[0].get(k, "")) for k in ALL_KEYS}
        self.secret_input = {o.key: (self.secret_input.get(o.key, "") if o.key in refused else "") for o in SECRETS}
        self.errors = {**NO_ERRORS, **refused}
        await backend_bridge.call(self._load_site)
        if refused:
            return rx.toast.error(self.tr("Some settings were refused; see the fields marked in red"))
        return rx.toast.success(self.tr("{count} settings saved").format(count=saved))
