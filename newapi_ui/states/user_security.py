"""The "Sign-in & security" dialog of /user (admins): a user's linked accounts (unbind), and the
resets of their 2FA and passkeys, plus the instance's 2FA adoption. Every call goes through the
services the API uses (`oauth_accounts`, `twofa`, `passkeys`) after `user_admin.get_user`, which
applies the role rule: an admin acts on lower roles only, root on anyone."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import Role
from backend.services import oauth_accounts, passkeys, twofa, user_admin
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.admin_gate import RoleGate
from newapi_ui.states.auth import AuthState

# Built-in identities: binding type (new-api's ClearBinding names) -> (users column, label).
BUILTIN = {
    "github": ("github_id", "GitHub"), "discord": ("discord_id", "Discord"), "oidc": ("oidc_id", "OIDC"),
    "linuxdo": ("linux_do_id", "LinuxDO"), "wechat": ("wechat_id", "WeChat"), "telegram": ("telegram_id", "Telegram"),
}
MESSAGES = (
    N_("2FA is not enabled for this user"),
    N_("this user has no passkey"),
    N_("no permission to change the 2FA of a user of the same or a higher role"),
    N_("no permission to reset the passkeys of a user of the same or a higher role"),
    N_("invalid binding type"),
)


def security_of(actor: User, user_id: int) -> dict[str, Any]:
    """What the dialog shows; the role rule is checked first (ServiceError when refused)."""
    u = user_admin.get_user(actor, user_id)
    bindings = [{"kind": kind, "id": "", "name": label, "bound": str(u.get(column) or "")}
                for kind, (column, label) in BUILTIN.items() if u.get(column)]
    bindings += [{"kind": "custom", "id": str(b["provider_id"]), "name": b["provider_name"],
                  "bound": b["provider_user_id"]} for b in oauth_accounts.custom_bindings(user_id)]
    return {"username": u["username"], "bindings": bindings, "twofa": twofa.is_enabled(user_id),
            "passkeys": len(passkeys.status(user_id)["credentials"])}


def unbind(actor: User, user_id: int, kind: str, provider_id: str) -> None:
    user_admin.get_user(actor, user_id)
    if kind == "custom":
        oauth_accounts.unbind_custom(user_id, int(provider_id))
    elif kind in BUILTIN:
        oauth_accounts.clear_binding(user_id, kind)
    else:
        raise ServiceError("invalid binding type")


class UserSecurityState(RoleGate, AuthState):
    dialog_open: bool = False
    target_id: int = 0  # not `user_id` / `username`: AuthState's, the signed-in admin's
    target_name: str = ""
    bindings: list[dict[str, str]] = []
    twofa_on: bool = False
    passkey_count: int = 0
    twofa_users: int = 0
    twofa_rate: str = ""
    confirm_open: bool = False
    confirm_message: str = ""
    _pending: str = ""  # the reset waiting for the admin's yes: "twofa" or "passkeys"

    @rx.event
    async def load_stats(self):  # noqa: ANN201
        actor, away = await self._require(Role.ADMIN)
        if actor is None:
            return away
        stats = await backend_bridge.call(twofa.stats)
        self.twofa_users, self.twofa_rate = int(stats["enabled_users"]), str(stats["enabled_rate"])
        return None

    async def _read(self, actor: User, user_id: int) -> None:
        found = await backend_bridge.call(security_of, actor, user_id)
        self.target_id, self.target_name, self.bindings = user_id, found["username"], found["bindings"]
        self.twofa_on, self.passkey_count = found["twofa"], found["passkeys"]

    @rx.event
    async def show(self, user_id: str):  # noqa: ANN201
        actor, away = await self._require(Role.ADMIN)
        if actor is None:
            return away
        try:
            await self._read(actor, int(user_id))
        except ServiceError as exc:
            return rx.toast.error(self.tr(exc.message))
        self.dialog_open = True
        return None

    @rx.event
    def set_open(self, value: bool) -> None:
        self.dialog_open = bool(value)

    async def _act(self, fn, *args: Any, done: str) -> Any:  # noqa: ANN001
        actor, away = await self._require(Role.ADMIN)
        if actor is None:
            return away
        try:
            await backend_bridge.call(fn, actor, self.target_id, *args)
            await self._read(actor, self.target_id)
        except ServiceError as exc:
            return rx.toast.error(self.tr(exc.message))
        stats = await backend_bridge.call(twofa.stats)
        self.twofa_users, self.twofa_rate = int(stats["enabled_users"]), str(stats["enabled_rate"])
        return rx.toast.success(self.tr(done))

    @rx.event
    async def unbind(self, kind: str, provider_id: str):  # noqa: ANN201
        return await self._act(unbind, kind, provider_id, done=N_("Unbound"))

    @rx.event
    def ask_reset(self, which: str) -> None:
        """A reset cannot be undone (the user sets 2FA or passkeys up again): ask first."""
        questions = {"twofa": N_("Switch off two-factor authentication for “{name}”?"),
                     "passkeys": N_("Remove every passkey of “{name}”?")}
        if which in questions:
            self._pending, self.confirm_open = which, True
            self.confirm_message = self.tr(questions[which]).format(name=self.target_name)

    @rx.event
    def cancel_reset(self) -> None:
        self._pending, self.confirm_open = "", False

    @rx.event
    async def confirm_reset(self):  # noqa: ANN201
        which, self._pending, self.confirm_open = self._pending, "", False
        if which == "twofa":
            return await self._act(twofa.admin_disable, done=N_("2FA has been switched off for this user"))
        if which == "passkeys":
            return await self._act(passkeys.admin_reset, done=N_("The user's passkeys have been removed"))
        return None
