"""/admin/settings (root only): instance options through `backend.services.option_rules` (the same
checks as PUT /api/option/). Secret options are write-only: the page learns only whether one is set,
never its value, so it never reaches the browser."""

from __future__ import annotations

import reflex as rx

from backend.models.enums import Role
from backend.services import option_rules, options, ratios
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.components.json_editor import pretty
from newapi_ui.states.auth import AuthState
from newapi_ui.states.settings_catalog import (
    ALL_KEYS,
    DEFAULTABLE,
    JSON_KEYS,
    NO_ERRORS,
    SECRETS,
    TABS,
    tab_opts,
)


def _read() -> tuple[dict[str, str], dict[str, bool]]:
    """The shown options (JSON indented for editing) and, for secrets, only whether each is set."""
    values = options.all_values()
    shown = {k: pretty(values.get(k, "")) if k in JSON_KEYS else values.get(k, "") for k in ALL_KEYS}
    return shown, {o.key: bool(values.get(o.key, "").strip()) for o in SECRETS}


class AdminSettingsState(AuthState):
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
        """(key, value) pairs that differ from what was loaded; JSON is judged by the service.
        Switches go last, so a client id typed together with its switch is saved before the
        switch's check looks for it."""
        opts = tab_opts(tab)
        changes = [(o.key, self.values.get(o.key, "")) for o in opts
                   if o.kind not in ("secret", "bool") and self.values.get(o.key, "") != self._loaded.get(o.key, "")]
        changes += [(o.key, self.secret_input[o.key]) for o in opts
                    if o.kind == "secret" and self.secret_input.get(o.key)]
        changes += [(o.key, self.values.get(o.key, "")) for o in opts
                    if o.kind == "bool" and self.values.get(o.key, "") != self._loaded.get(o.key, "")]
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
