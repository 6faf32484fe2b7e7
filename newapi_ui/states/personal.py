"""/setting: the user's own profile, password, access token and notification settings, through the
same `backend.services.users` functions as PUT /api/user/self, GET /api/user/token and PUT /api/user/setting."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models.schemas.user import UserSelfUpdate
from backend.services import users
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.locale import fmt_number
from newapi_ui.states.auth import AuthState
from newapi_ui.states.users import money_text, quota_from

NOTIFY_TYPES = {"email": N_("Email"), "webhook": N_("Webhook")}


class PersonalState(AuthState):
    busy: str = ""  # which form is saving
    email: str = ""
    notify_type: str = "email"
    threshold: str = ""
    notification_email: str = ""
    webhook_url: str = ""
    has_webhook_secret: bool = False
    new_access_token: str = ""  # shown once, right after it is generated

    @rx.var(cache=False)
    def notify_items(self) -> list[list[str]]:
        return [[k, self.tr(v)] for k, v in NOTIFY_TYPES.items()]

    @rx.var(cache=False)
    def threshold_shown(self) -> str:
        """The threshold as typed: money when the site shows money ($), else quota units."""
        if not self.threshold.isdigit():
            return ""
        return money_text(int(self.threshold), self.quota_per_unit) if self.display_in_currency else self.threshold

    @rx.var(cache=False)
    def threshold_note(self) -> str:
        """The same amount in the other unit, under the box."""
        if not self.threshold.isdigit():
            return ""
        if self.display_in_currency:
            return self.tr("{quota} quota units").format(quota=fmt_number(int(self.threshold), self.lang))
        return self.fmt_quota(int(self.threshold))

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_user()
        if redirect is not None:
            return redirect
        user = await self.current_user()
        if user is None:
            return self._to_login()
        setting = users.load_setting(user)
        self.email = user.email or ""
        self.notify_type = str(setting.get("notify_type") or "email")
        threshold = setting.get("quota_warning_threshold")
        self.threshold = str(int(threshold)) if isinstance(threshold, int | float) else ""
        self.notification_email = str(setting.get("notification_email") or "")
        self.webhook_url = str(setting.get("webhook_url") or "")
        self.has_webhook_secret = bool(setting.get("webhook_secret"))
        self.new_access_token = ""
        return None

    async def _run(self, which: str, fn, *args: Any, **kwargs: Any):  # noqa: ANN001, ANN202
        """Call a users service for the session's user; (result, error event)."""
        user = await self.current_user()
        if user is None:
            return None, self._to_login()
        self.busy = which
        try:
            return await backend_bridge.call(fn, user.id, *args, **kwargs), None
        except ServiceError as exc:
            return None, rx.toast.error(self.tr_error(exc))
        finally:
            self.busy = ""

    @rx.event
    async def save_profile(self, form: dict[str, Any]):  # noqa: ANN201
        _res, err = await self._run("profile", users.update_self,
                                   UserSelfUpdate(display_name=str(form.get("display_name") or "").strip()))
        if err is not None:
            return err
        await self.current_user()
        return rx.toast.success(self.tr("Saved"))

    @rx.event
    async def change_password(self, form: dict[str, Any]):  # noqa: ANN201
        new, confirm = str(form.get("new_password") or ""), str(form.get("confirm_password") or "")
        if new != confirm:
            return rx.toast.error(self.tr("the two passwords do not match"))
        if not new:
            return rx.toast.error(self.tr("the password must be 8 to 20 characters long"))
        # This browser's session survives the change; every other session of the user ends.
        change = UserSelfUpdate(password=new, original_password=str(form.get("original_password") or ""))
        _res, err = await self._run("password", users.update_self, change,
                                    keep_session=backend_bridge.session_cookie(self.router.headers.cookie))
        if err is not None:
            return err
        return [rx.set_value(f, "") for f in ("original_password", "new_password", "confirm_password")] + [
            rx.toast.success(self.tr("Password changed"))]

    @rx.event
    async def rotate_token(self):  # noqa: ANN201
        token, err = await self._run("token", users.rotate_access_token)
        if err is not None:
            return err
        self.new_access_token = token
        return rx.toast.success(self.tr("A new access token was generated; the old one no longer works"))

    @rx.event
    def copy_token(self):  # noqa: ANN201
        return [rx.set_clipboard(self.new_access_token), rx.toast.success(self.tr("Copied"))]

    @rx.event
    def set_notify_type(self, value: str | list[str]) -> None:
        if isinstance(value, str) and value in NOTIFY_TYPES:
            self.notify_type = value

    @rx.event
    async def save_notifications(self, form: dict[str, Any]):  # noqa: ANN201
        data: dict[str, Any] = {
            "notify_type": self.notify_type,
            "notification_email": str(form.get("notification_email") or "").strip(),
            "webhook_url": str(form.get("webhook_url") or "").strip(),
        }
        typed = str(form.get("threshold") or "").strip()
        threshold = ""
        if typed:
            unit = "money" if self.display_in_currency else "tokens"
            try:
                quota = quota_from(typed, unit, self.quota_per_unit)
            except ValueError:
                quota = 0
            if quota <= 0:
                return rx.toast.error(self.tr("quota_warning_threshold must be positive"))
            data["quota_warning_threshold"], threshold = quota, str(quota)
        secret = str(form.get("webhook_secret") or "")
        if secret:  # blank keeps the stored secret, which is never shown
            data["webhook_secret"] = secret
        _saved, err = await self._run("notify", users.update_setting, data)
        if err is not None:
            return err
        self.threshold = threshold
        self.notification_email, self.webhook_url = data["notification_email"], data["webhook_url"]
        self.has_webhook_secret = self.has_webhook_secret or bool(secret)
        return [rx.set_value("webhook_secret", ""), rx.toast.success(self.tr("Saved"))]
