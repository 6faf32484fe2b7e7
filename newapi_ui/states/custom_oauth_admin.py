"""The custom OAuth providers of /admin/settings (root only), through `backend.services.custom_oauth`
(the same rules as `/api/custom-oauth-provider/*`). The form covers the authorization-code kind;
the client secret is write-only: left blank, an edit keeps the stored one."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models.enums import Role
from backend.services import custom_oauth, oauth_discovery
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.admin_gate import RoleGate
from newapi_ui.states.auth import AuthState
from newapi_ui.states.dialog_form import DialogForm

# Text fields of the form, in order: (field, label msgid, hint msgid).
TEXT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("name", N_("Name"), N_("Shown on the login button")),
    ("slug", N_("Slug"), N_("Lowercase letters, digits and hyphens; the callback is /oauth/<slug>")),
    ("client_id", N_("Client ID"), ""),
    ("well_known", N_("Discovery URL (well-known)"), N_("Fills the endpoints left empty below")),
    ("authorization_endpoint", N_("Authorization endpoint"), ""),
    ("token_endpoint", N_("Token endpoint"), ""),
    ("user_info_endpoint", N_("User info endpoint"), ""),
    ("scopes", N_("Scopes"), ""),
    ("user_id_field", N_("User ID field"), N_("A path in the user info, e.g. sub or data.id")),
    ("username_field", N_("Username field"), ""),
    ("display_name_field", N_("Display name field"), ""),
    ("email_field", N_("Email field"), ""),
)
AUTH_STYLES = {"0": N_("Automatic"), "1": N_("In the request body"), "2": N_("HTTP basic auth")}
MESSAGES = (
    N_("provider name is required"),
    N_("provider slug must contain only lowercase letters, numbers, and hyphens"),
    N_("this slug conflicts with a built-in OAuth provider"),
    N_("this slug is already in use"),
    N_("client ID is required"),
    N_("authorization endpoint is required"),
    N_("token endpoint is required"),
    N_("user info endpoint is required"),
    N_("users are still bound to this OAuth provider; unbind them first"),
    N_("OAuth provider not found"),
    N_("the discovery URL must be an http(s) URL"),
    N_("could not fetch the discovery document"),
    N_("the discovery document is not JSON"),
    N_("the discovery document is not a JSON object"),
)
# Discovery document key -> form field.
DISCOVERED = {"authorization_endpoint": "authorization_endpoint", "token_endpoint": "token_endpoint",
              "userinfo_endpoint": "user_info_endpoint"}
_BLANK = {f: "" for f, _l, _h in TEXT_FIELDS} | {"scopes": "openid profile email", "user_id_field": "sub",
                                                 "username_field": "preferred_username",
                                                 "display_name_field": "name", "email_field": "email"}


def row_of(p: dict[str, Any]) -> dict[str, str]:
    return {"id": str(p["id"]), "name": p["name"], "slug": p["slug"], "kind": p.get("kind") or "oauth_code",
            "enabled": "1" if p.get("enabled") else "", "client_id": p.get("client_id") or ""}


class CustomOAuthState(RoleGate, DialogForm, AuthState):
    providers: list[dict[str, str]] = []
    form: dict[str, str] = dict(_BLANK)
    auth_style: str = "0"
    secret_input: str = ""
    secret_set: bool = False
    confirm_open: bool = False
    confirm_message: str = ""
    _pending_delete: int = 0

    async def _reload(self) -> None:
        self.providers = [row_of(p) for p in await backend_bridge.call(custom_oauth.listing)]

    @rx.event
    async def load(self):  # noqa: ANN201
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        await self._reload()
        return None

    @rx.event
    async def open_new(self):  # noqa: ANN201
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        self._open_form(0, dict(_BLANK), False)
        self.auth_style, self.secret_input, self.secret_set = "0", "", False
        return None

    @rx.event
    async def open_edit(self, provider_id: str):  # noqa: ANN201
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        try:
            p = await backend_bridge.call(custom_oauth.get, int(provider_id))
        except ServiceError as exc:
            return rx.toast.error(self.tr(exc.message))
        self._open_form(int(p.id or 0), {f: str(getattr(p, f) or "") for f, _l, _h in TEXT_FIELDS}, bool(p.enabled))
        self.auth_style = str(p.auth_style or 0)
        self.secret_input, self.secret_set = "", bool((p.client_secret or "").strip())
        return None

    @rx.event
    async def discover(self):  # noqa: ANN201
        """Fill the endpoints from the discovery document (the fields the admin left empty)."""
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        try:
            doc = await backend_bridge.call(oauth_discovery.fetch, self.form.get("well_known", "").strip())
        except ServiceError as exc:
            self.form_error = self.tr(exc.message)
            return None
        found = {field: str(doc.get(key) or "") for key, field in DISCOVERED.items()}
        self.form = {**self.form, **{k: v for k, v in found.items() if v and not self.form.get(k, "").strip()}}
        self.form_error = ""
        return rx.toast.success(self.tr("Endpoints filled from the discovery document"))

    @rx.event
    def set_auth_style(self, value: str) -> None:
        if value in AUTH_STYLES:
            self.auth_style = value

    @rx.event
    def set_secret_input(self, value: str) -> None:
        self.secret_input = value

    def _body(self) -> dict[str, Any]:
        body: dict[str, Any] = {k: v.strip() for k, v in self.form.items()}
        body.update(enabled=self.form_enabled, auth_style=int(self.auth_style))
        if not self.edit_id:
            body["kind"] = "oauth_code"
        if self.secret_input:
            body["client_secret"] = self.secret_input
        return body

    @rx.event
    async def save(self):  # noqa: ANN201
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        if not await self._submit(custom_oauth.create, custom_oauth.update, self._body()):
            return None
        self.secret_input = ""
        await self._reload()
        return rx.toast.success(self.tr("Saved"))

    @rx.event
    def ask_delete(self, provider_id: str, name: str) -> None:
        self._pending_delete = int(provider_id)
        self.confirm_message = self.tr("Delete the login provider “{name}”?").format(name=name)
        self.confirm_open = True

    @rx.event
    def cancel_delete(self) -> None:
        self.confirm_open, self._pending_delete = False, 0

    @rx.event
    async def confirm_delete(self):  # noqa: ANN201
        provider_id, self._pending_delete, self.confirm_open = self._pending_delete, 0, False
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        try:
            await backend_bridge.call(custom_oauth.delete, provider_id)
        except ServiceError as exc:
            return rx.toast.error(self.tr(exc.message))
        await self._reload()
        return rx.toast.success(self.tr("Deleted"))
