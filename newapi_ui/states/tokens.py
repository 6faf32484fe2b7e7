"""The user's API keys through `backend.services.tokens` (the functions `/api/token` uses): search,
create/edit, reveal-and-copy, enable/disable and delete. Lists stay masked; a full key is read
from the service only when its owner asks to copy it. Refusals are shown as the service words them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import time as dtime
from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import Role, TokenStatus
from backend.models.schemas.token import TokenCreate, TokenPublic, TokenUpdate
from backend.services import groups, tokens, users
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_, zone
from newapi_ui.states.auth import AuthState
from newapi_ui.states.crud import CrudState
from newapi_ui.states.paging import PagedState, typed_rows
from newapi_ui.states.users import money_text, quota_from

STATUS_LABELS = {
    TokenStatus.ENABLED: (N_("Enabled"), "green"),
    TokenStatus.DISABLED: (N_("Disabled"), "gray"),
    TokenStatus.EXPIRED: (N_("Expired"), "amber"),
    TokenStatus.EXHAUSTED: (N_("Exhausted"), "red"),
}
UNKNOWN = N_("Unknown")
# Radix selects cannot hold "", which the service reads as "the user's own group".
OWN_GROUP = "__own__"


def expiry_from(day: str, tz: str) -> int:
    """The end of the chosen day (YYYY-MM-DD) in the browser's time zone, as a Unix time."""
    d = datetime.strptime(day.strip(), "%Y-%m-%d").date()
    return int(datetime.combine(d, dtime(23, 59, 59), tzinfo=zone(tz)).timestamp())


def day_of(ts: int, tz: str) -> str:
    return datetime.fromtimestamp(ts, zone(tz)).strftime("%Y-%m-%d")


def split_list(text: str) -> list[str]:
    """Models or IPs typed one a line or comma-separated, without blanks or repeats, in order."""
    out: list[str] = []
    for part in text.replace("\n", ",").split(","):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


@dataclass
class TokenRow:
    id: str
    name: str
    key: str
    status: str
    status_color: str
    enabled: bool
    group: str
    used: str
    remaining: str
    created: str
    expires: str


class TokensState(CrudState, PagedState, AuthState):
    search_fields = {"keyword": "keyword", "key": "key_filter"}
    keyword: str = ""
    key_filter: str = ""
    rows = typed_rows(TokenRow)
    # the create / edit dialog (edit_id 0 = create)
    form_open: bool = False
    edit_id: int = 0
    f_name: str = ""
    f_quota: str = ""
    f_unlimited: bool = True
    f_never: bool = True
    f_expiry: str = ""
    f_limits_on: bool = False
    f_models: str = ""
    f_ips: str = ""
    f_group: str = OWN_GROUP
    _new_group: str = OWN_GROUP  # what the new-key form starts with
    group_options: list[list[str]] = []
    model_options: list[str] = []
    quota_unit: str = "money"
    form_error: str = ""
    busy: bool = False
    # the key just revealed for copying (shown once in a dialog, forgotten on close)
    key_open: bool = False
    revealed_key: str = ""

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        if self.keyword or self.key_filter:
            rows, total = tokens.search_tokens(user.id or 0, self.keyword, self.key_filter, p, page_size)
        else:
            rows, total = tokens.list_tokens(user.id or 0, p, page_size)
        return [r.model_dump() for r in rows], total

    def _format(self, row: dict[str, Any]) -> TokenRow:
        expires = int(row["expired_time"])
        label, colour = STATUS_LABELS.get(row["status"], (UNKNOWN, "gray"))
        unlimited = bool(row["unlimited_quota"])
        return TokenRow(
            id=str(row["id"]),
            name=row["name"],
            key=row["key"],
            status=self.tr(label),
            status_color=colour,
            enabled=row["status"] == TokenStatus.ENABLED,
            group=row.get("group") or self.tr("My group"),
            used=self.fmt_quota(int(row["used_quota"])),
            remaining=self.tr("Unlimited") if unlimited else self.fmt_quota(int(row["remain_quota"])),
            created=self.fmt_datetime(int(row["created_time"])),
            expires=self.tr("Never") if expires == -1 else self.fmt_datetime(expires),
        )

    async def _prepare(self, user: User) -> None:
        """Coming back to the page never shows a key revealed earlier, nor a dialog left open."""
        self.key_open, self.revealed_key, self.form_open = False, "", False

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.event
    async def set_enabled(self, token_id: str, enable: bool):  # noqa: ANN201
        status = TokenStatus.ENABLED if enable else TokenStatus.DISABLED
        return await self._act(tokens.update_token, int(token_id), TokenUpdate(status=status), status_only=True,
                               actor=True)

    # ---- copy ---------------------------------------------------------------------------------

    @rx.event
    async def copy_key(self, token_id: str):  # noqa: ANN201
        """Reveal through the service like POST /api/token/:id/key, copy it, and show it too (the
        clipboard API is refused on plain-http hosts other than localhost)."""
        user, away = await self._require(Role.COMMON)
        if user is None:
            return away
        try:
            key = await backend_bridge.call(tokens.reveal_key, user.id or 0, int(token_id))
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        self.revealed_key, self.key_open = key, True
        return [rx.set_clipboard(key), rx.toast.success(self.tr("Key copied"))]

    @rx.event
    def set_key_open(self, value: bool) -> None:
        if not value:
            self.key_open, self.revealed_key = False, ""

    # ---- delete -------------------------------------------------------------------------------

    @rx.event
    def ask_delete(self, token_id: str, name: str) -> None:
        self._ask("delete", self.tr("Delete the API key “{name}”?").format(name=name), int(token_id))

    @rx.event
    def ask_batch_delete(self) -> None:
        if self.selected:
            self._ask("delete", self.tr("Delete {count} selected API keys?").format(count=len(self.selected)),
                      *[int(i) for i in self.selected])

    async def _confirmed(self, action: str, *ids: Any) -> Any:
        self.selected = [i for i in self.selected if int(i) not in ids]
        user, away = await self._require(Role.COMMON)
        if user is None:
            return away
        gone = await backend_bridge.call(tokens.delete_tokens, user.id or 0, list(ids))
        return await self._reloaded(rx.toast.success(self.tr("{count} API keys deleted").format(count=gone)))

    # ---- create / edit ------------------------------------------------------------------------

    async def _load_choices(self, user: User) -> None:
        usable = await backend_bridge.call(groups.usable_groups, user.group)
        own = self.tr("My group") + (f" ({user.group})" if user.group else "")
        listed = [[g, f"{g} — {d}" if d else g] for g, d in sorted(usable.items())]
        # DefaultUseAutoGroup: a new key starts in `auto`, listed first (new-api's key form)
        self._new_group = await backend_bridge.call(groups.default_token_group) or OWN_GROUP
        if self._new_group == groups.AUTO:
            listed.sort(key=lambda option: option[0] != groups.AUTO)
        self.group_options = [[OWN_GROUP, own], *listed]
        self.model_options = await backend_bridge.call(users.models_for_group, user.group)

    def _fill(self, t: TokenPublic | None) -> None:
        self.quota_unit = "money" if self.display_in_currency else "tokens"
        remain = (t.remain_quota or 0) if t else 0
        self.f_quota = money_text(remain, self.quota_per_unit) if self.quota_unit == "money" else str(remain)
        self.f_name = (t.name or "") if t else ""
        self.f_unlimited = bool(t.unlimited_quota) if t else True
        expires = t.expired_time if t and t.expired_time is not None else -1
        self.f_never = expires == -1
        self.f_expiry = "" if expires == -1 else day_of(expires, self.time_zone)
        self.f_limits_on = bool(t.model_limits_enabled) if t else False
        self.f_models = ", ".join(split_list(t.model_limits or "")) if t else ""
        self.f_ips = "\n".join(split_list(t.allow_ips)) if t else ""
        self.f_group = (t.group or OWN_GROUP) if t else self._new_group
        self.form_error = ""

    @rx.event
    async def open_create(self):  # noqa: ANN201
        user, away = await self._require(Role.COMMON)
        if user is None:
            return away
        await self._load_choices(user)
        self.edit_id = 0
        self._fill(None)
        self.form_open = True
        return None

    @rx.event
    async def open_edit(self, token_id: str):  # noqa: ANN201
        user, away = await self._require(Role.COMMON)
        if user is None:
            return away
        try:
            t = await backend_bridge.call(tokens.get_token, user.id or 0, int(token_id))
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        await self._load_choices(user)
        if t.group and t.group not in [g for g, _label in self.group_options]:
            self.group_options = [*self.group_options, [t.group, t.group]]
        self.edit_id = int(t.id or 0)
        self._fill(t)
        self.form_open = True
        return None

    @rx.event
    def set_form_open(self, value: bool) -> None:
        self.form_open = bool(value)

    @rx.event
    def set_text(self, name: str, value: str) -> None:
        if name in ("f_name", "f_quota", "f_expiry", "f_models", "f_ips"):
            setattr(self, name, str(value))

    @rx.event
    def set_flag(self, name: str, value: bool) -> None:
        if name in ("f_unlimited", "f_never", "f_limits_on"):
            setattr(self, name, bool(value))

    @rx.event
    def set_group(self, value: str) -> None:
        self.f_group = value

    @rx.event
    def add_model(self, model: str) -> None:
        self.f_models = ", ".join(split_list(self.f_models + "," + model))

    def _fields(self) -> dict[str, Any] | None:
        """The form as the service's fields, or None with form_error set when it cannot be read."""
        fields: dict[str, Any] = {
            "name": self.f_name.strip(),
            "unlimited_quota": self.f_unlimited,
            "model_limits_enabled": self.f_limits_on,
            "model_limits": ",".join(split_list(self.f_models)),
            "allow_ips": "\n".join(split_list(self.f_ips)),
            "group": "" if self.f_group == OWN_GROUP else self.f_group,
        }
        if not self.f_unlimited:
            try:
                fields["remain_quota"] = quota_from(self.f_quota, self.quota_unit, self.quota_per_unit)
            except ValueError:
                self.form_error = self.tr("Enter the quota as a number")
                return None
        if self.f_never:
            fields["expired_time"] = -1
        else:
            try:
                fields["expired_time"] = expiry_from(self.f_expiry, self.time_zone)
            except ValueError:
                self.form_error = self.tr("Choose an expiry date, or never")
                return None
        return fields

    @rx.event
    async def save(self):  # noqa: ANN201
        user, away = await self._require(Role.COMMON)
        if user is None:
            return away
        fields = self._fields()
        if fields is None:
            return None
        self.busy = True
        try:
            if self.edit_id:
                await backend_bridge.call(tokens.update_token, user, self.edit_id, TokenUpdate(**fields))
            else:
                await backend_bridge.call(tokens.create_token, user, TokenCreate(**fields))
        except ServiceError as exc:
            self.form_error = self.tr_error(exc)
            return None
        finally:
            self.busy = False
        done = self.tr("Saved") if self.edit_id else self.tr("API key created")
        self.form_open, self.form_error = False, ""
        if not self.edit_id:
            self.page = 1
        return await self._reloaded(rx.toast.success(done))
