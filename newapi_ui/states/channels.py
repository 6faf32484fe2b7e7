"""/channel: channel administration through `backend.services.channels` (and the test, balance and
model-list services). Every handler re-checks that the session user is still an admin."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import reflex as rx

from backend.cache.channels import parse_json_object
from backend.models import User, channel_types
from backend.models.enums import ChannelStatus, Role
from backend.models.schemas.channel import ChannelUpdate
from backend.relay import channel_balance, channel_test
from backend.services import channel_input, channels, groups
from backend.services.errors import ServiceError, msg
from newapi_ui import backend_bridge
from newapi_ui.components.json_editor import json_problem, pretty
from newapi_ui.i18n import N_, fmt_money
from newapi_ui.states.admin_gate import RoleGate
from newapi_ui.states.auth import AuthState
from newapi_ui.states.paging import PagedState

STATUS_LABELS = {
    ChannelStatus.ENABLED: (N_("Enabled"), "green"),
    ChannelStatus.MANUALLY_DISABLED: (N_("Disabled"), "gray"),
    ChannelStatus.AUTO_DISABLED: (N_("Auto-disabled"), "amber"),
}
UNKNOWN = N_("Unknown")
# The JSON columns the form edits, as the service names them.
JSON_FIELDS = ("model_mapping", "status_code_mapping", "param_override", "header_override", "setting")
TYPE_CHOICES = [(str(t.id), f"{t.id} · {t.name}") for t in channel_types.CHANNEL_TYPES.values() if t.id]
# What the form needs to know about the families whose fields mean something special.
TYPE_HINTS = {
    channel_types.AZURE: N_("Azure: the base URL is your resource endpoint; put the API version in Other "
                            "(e.g. 2024-10-21)."),
    channel_types.AWS: N_("AWS Bedrock: the key is AccessKey|SecretKey|Region (or ApiKey|Region)."),
    channel_types.VERTEX: N_("Vertex AI: the key is the service-account JSON; Other is the region, or a JSON "
                             "map of model to region with a default entry."),
    channel_types.CUSTOM: N_("Custom: the base URL is the whole endpoint; {model} is replaced by the model."),
}


def merge(models: list[str], more: list[str]) -> list[str]:
    """Append new names once each, keeping the admin's order."""
    seen = set(models)
    out = list(models)
    for m in more:
        m = m.strip()
        if m and m not in seen:
            seen.add(m)
            out.append(m)
    return out


class ChannelsState(RoleGate, PagedState, AuthState):
    min_role = Role.ADMIN
    keyword: str = ""
    filter_group: str = ""
    filter_model: str = ""
    filter_status: str = "all"
    filter_type: str = "all"
    tag_input: str = ""
    all_groups: list[str] = []
    # create/edit form
    form_open: bool = False
    editing_id: int = 0
    key_count: int = 0
    f_type: str = "1"
    f_name: str = ""
    f_key: str = ""
    f_batch: bool = False
    f_base_url: str = channel_types.default_base_url(1)
    f_models: list[str] = []
    model_input: str = ""
    f_groups: list[str] = ["default"]
    f_priority: str = "0"
    f_weight: str = "0"
    f_tag: str = ""
    f_test_model: str = ""
    f_other: str = ""
    f_auto_ban: bool = True
    json_text: dict[str, str] = {k: "" for k in JSON_FIELDS}
    json_errors: dict[str, str] = {k: "" for k in JSON_FIELDS}
    form_error: str = ""
    saving: bool = False
    fetching: bool = False
    # test dialog
    test_open: bool = False
    test_id: int = 0
    test_name: str = ""
    test_models: list[str] = []
    test_model: str = ""
    test_result: str = ""
    test_ok: bool = False
    testing: bool = False
    # confirmation
    confirm_open: bool = False
    confirm_message: str = ""
    _pending: tuple[str, list[int], str] = ("", [], "")

    @rx.var(cache=False)
    def type_hint(self) -> str:
        family = channel_types.channel_type(int(self.f_type)).family if self.f_type.isdigit() else ""
        return self.tr(TYPE_HINTS[family]) if family in TYPE_HINTS else ""

    # ---- listing ----------------------------------------------------------------------------

    def _searching(self) -> bool:
        return bool(self.keyword.strip() or self.filter_group.strip() or self.filter_model.strip())

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        status = None if self.filter_status == "all" else self.filter_status
        type_ = int(self.filter_type) if self.filter_type.isdigit() else None
        if self._searching():
            data = channels.search_channels(self.keyword, self.filter_group, self.filter_model, p, page_size,
                                            status=status, type_=type_)
        else:  # LIMIT/OFFSET in the database
            data = channels.list_channels(p, page_size, status=status, type_=type_)
        return [c.model_dump() for c in data.items], data.total

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        label, colour = STATUS_LABELS.get(row["status"], (UNKNOWN, "gray"))
        models = [m for m in (row.get("models") or "").split(",") if m]
        shown = ", ".join(models[:3]) + (f" +{len(models) - 3}" if len(models) > 3 else "")
        rt = int(row.get("response_time") or 0)
        return {
            "id": str(row["id"]),
            "name": row["name"],
            "type": channel_types.channel_type_name(int(row["type"])),
            "status": self.tr(label),
            "status_color": colour,
            "enabled": "1" if row["status"] == ChannelStatus.ENABLED else "",
            "group": row.get("group") or "",
            "models": shown,
            "priority": str(row.get("priority") or 0),
            "weight": str(row.get("weight") or 0),
            "response_time": f"{rt} ms" if rt else "—",
            "balance": fmt_money(Decimal(str(row.get("balance") or 0)), self.lang),
            "used": self.fmt_quota(int(row.get("used_quota") or 0)),
            "tag": row.get("tag") or "",
            "type_id": str(row["type"]),
            "multi": "1" if parse_json_object(row.get("channel_info")).get("is_multi_key") else "",
        }

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self._guard(Role.ADMIN)
        if redirect is not None:
            return redirect
        self.all_groups = await backend_bridge.call(groups.all_groups)
        return await self._load()

    @rx.event
    async def search(self, form: dict):  # noqa: ANN201
        self.keyword = str(form.get("keyword", "")).strip()
        self.filter_group = str(form.get("group", "")).strip()
        self.filter_model = str(form.get("model", "")).strip()
        self.page = 1
        return await self._load()

    @rx.event
    async def set_filter_status(self, value: str):  # noqa: ANN201
        self.filter_status = value if value in ("all", "enabled", "disabled", "3") else "all"
        self.page = 1
        return await self._load()

    @rx.event
    async def set_filter_type(self, value: str):  # noqa: ANN201
        self.filter_type = value if value == "all" or value.isdigit() else "all"
        self.page = 1
        return await self._load()

    @rx.event
    def set_tag_input(self, value: str) -> None:
        self.tag_input = value

    # ---- running a service call as the admin ---------------------------------------------------

    async def _act(self, fn, *args: Any, done: str = "") -> Any:  # noqa: ANN001
        """Run a write as a re-checked admin, then reload the page; returns events for Reflex."""
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            await backend_bridge.call(fn, *args)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        reload = await self._load()
        return [rx.toast.success(self.tr(done or "Saved")), *([reload] if reload else [])]

    @rx.event
    async def set_enabled(self, channel_id: str, enable: bool):  # noqa: ANN201
        status = ChannelStatus.ENABLED if enable else ChannelStatus.MANUALLY_DISABLED
        return await self._act(channels.set_status, [int(channel_id)], status,
                               done=N_("Channel enabled") if enable else N_("Channel disabled"))

    def _ask(self, action: str, ids: list[int], message: str, arg: str = "") -> None:
        self._pending = (action, ids, arg)
        self.confirm_message = message
        self.confirm_open = True

    @rx.event
    def ask_delete(self, channel_id: str, name: str) -> None:
        self._ask("delete", [int(channel_id)], self.tr("Delete channel “{name}”?").format(name=name))

    @rx.event
    def ask_batch_delete(self):  # noqa: ANN201
        if not self.selected:
            return rx.toast.error(self.tr("Select channels first"))
        self._ask("delete", [int(i) for i in self.selected],
                  self.tr("Delete {count} selected channels?").format(count=len(self.selected)))
        return None

    @rx.event
    def ask_delete_disabled(self) -> None:
        self._ask("delete_disabled", [], self.tr("Delete every disabled channel?"))

    @rx.event
    def cancel_confirm(self) -> None:
        self.confirm_open = False
        self._pending = ("", [], "")

    @rx.event
    async def confirm(self):  # noqa: ANN201
        action, ids, _arg = self._pending
        self.confirm_open = False
        self._pending = ("", [], "")
        if action == "delete":
            self.selected = [i for i in self.selected if int(i) not in ids]
            return await self._act(channels.delete_channels, ids, done=N_("Deleted"))
        if action == "delete_disabled":
            return await self._act(channels.delete_disabled, done=N_("Deleted"))
        return None

    @rx.event
    async def batch_tag(self):  # noqa: ANN201
        if not self.selected:
            return rx.toast.error(self.tr("Select channels first"))
        ids = [int(i) for i in self.selected]
        return await self._act(channels.batch_set_tag, ids, self.tag_input.strip() or None, done=N_("Tag set"))

    @rx.event
    async def tag_status(self, enable: bool):  # noqa: ANN201
        return await self._act(channels.set_tag_status, self.tag_input.strip(), enable,
                               done=N_("Tag enabled") if enable else N_("Tag disabled"))

    # ---- slow upstream calls (awaited on the loop, like the /api routes) ------------------------

    @rx.event
    async def update_balance(self, channel_id: str):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            balance = await channel_balance.update_balance(int(channel_id))
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        reload = await self._load()
        text = self.tr("Balance: {balance}").format(balance=fmt_money(Decimal(str(balance)), self.lang))
        return [rx.toast.success(text), *([reload] if reload else [])]

    @rx.event
    async def update_all_balances(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        result = await channel_balance.update_all_balances()
        reload = await self._load()
        text = self.tr("Balances updated: {updated}, failed: {failed}").format(**result)
        return [rx.toast.success(text), *([reload] if reload else [])]

    @rx.event
    async def test_all(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            channel_test.start_test_all(user.id or 0, user.username)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        return rx.toast.info(self.tr("Testing every channel in the background; reload to see the results"))

    @rx.event
    def open_test(self, channel_id: str):  # noqa: ANN201
        raw = next((r for r in self._raw_rows if str(r["id"]) == channel_id), None)
        if raw is None:
            return rx.toast.error(self.tr("channel not found"))
        self.test_id, self.test_name = int(channel_id), raw["name"]
        self.test_models = [m for m in (raw.get("models") or "").split(",") if m]
        self.test_model = raw.get("test_model") or (self.test_models[0] if self.test_models else "")
        self.test_result, self.test_ok, self.test_open = "", False, True
        return None

    @rx.event
    def set_test_model(self, model: str) -> None:
        self.test_model = model

    @rx.event
    def set_test_open(self, value: bool) -> None:
        self.test_open = bool(value)

    @rx.event
    async def run_test(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            yield away
            return
        self.testing = True
        yield
        try:
            result = await channel_test.run_test(self.test_id, self.test_model or None, user_id=user.id or 0,
                                                 username=user.username)
        except ServiceError as exc:
            self.testing, self.test_ok, self.test_result = False, False, self.tr_error(exc)
            return
        self.testing, self.test_ok = False, result.success
        took = self.tr("{seconds} s").format(seconds=f"{result.time:.2f}")
        self.test_result = (self.tr("Test passed in {took}").format(took=took) if result.success
                            else self.tr("Test failed: {message}").format(message=result.message))
        reload = await self._load()
        if reload:
            yield reload

    # ---- the create/edit form ------------------------------------------------------------------

    def _reset_form(self) -> None:
        self.editing_id = self.key_count = 0
        self.f_type, self.f_name, self.f_key, self.f_batch = "1", "", "", False
        self.f_base_url = channel_types.default_base_url(1)
        self.f_models, self.model_input, self.f_groups = [], "", ["default"]
        self.f_priority, self.f_weight, self.f_tag, self.f_test_model, self.f_other = "0", "0", "", "", ""
        self.f_auto_ban = True
        self.json_text = {k: "" for k in JSON_FIELDS}
        self.json_errors = {k: "" for k in JSON_FIELDS}
        self.form_error = ""

    @rx.event
    async def open_create(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        self._reset_form()
        self.all_groups = await backend_bridge.call(groups.all_groups)
        self.form_open = True
        return None

    @rx.event
    async def open_edit(self, channel_id: str):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        try:
            c = (await backend_bridge.call(channels.get_channel, int(channel_id))).model_dump()
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        self._reset_form()
        self.all_groups = await backend_bridge.call(groups.all_groups)
        self.editing_id, self.key_count = int(c["id"]), int(c.get("key_count") or 0)
        self.f_type, self.f_name = str(c["type"]), c["name"] or ""
        self.f_base_url = c.get("base_url") or ""
        self.f_models = [m for m in (c.get("models") or "").split(",") if m]
        self.f_groups = [g for g in (c.get("group") or "").split(",") if g]
        self.f_priority, self.f_weight = str(c.get("priority") or 0), str(c.get("weight") or 0)
        self.f_tag, self.f_test_model, self.f_other = c.get("tag") or "", c.get("test_model") or "", c.get("other") or ""
        self.f_auto_ban = c.get("auto_ban", 1) != 0
        self.json_text = {k: pretty(c.get(k) or "") for k in JSON_FIELDS}
        self.form_open = True
        return None

    @rx.event
    def set_form_open(self, value: bool) -> None:
        self.form_open = bool(value)

    @rx.event
    def set_type(self, value: str) -> None:
        """Pick a type; the base URL follows unless the admin typed their own."""
        if not value.isdigit():
            return
        old_default = channel_types.default_base_url(int(self.f_type)) if self.f_type.isdigit() else ""
        if not self.f_base_url or self.f_base_url == old_default:
            self.f_base_url = channel_types.default_base_url(int(value))
        self.f_type = value

    @rx.event
    def set_text(self, name: str, value: str) -> None:
        if name in ("f_name", "f_key", "f_base_url", "model_input", "f_priority", "f_weight", "f_tag",
                    "f_test_model", "f_other"):
            setattr(self, name, value)

    @rx.event
    def set_flag(self, name: str, value: bool) -> None:
        if name in ("f_batch", "f_auto_ban"):
            setattr(self, name, bool(value))

    @rx.event
    def set_json(self, name: str, value: str) -> None:
        if name in JSON_FIELDS:
            self.json_text = {**self.json_text, name: value}
            self.json_errors = {**self.json_errors, name: ""}

    @rx.event
    def toggle_group(self, group: str) -> None:
        self.f_groups = [g for g in self.f_groups if g != group] if group in self.f_groups else [*self.f_groups, group]

    @rx.event
    def add_models(self) -> None:
        self.f_models = merge(self.f_models, self.model_input.replace("\n", ",").split(","))
        self.model_input = ""

    @rx.event
    def remove_model(self, model: str) -> None:
        self.f_models = [m for m in self.f_models if m != model]

    @rx.event
    def clear_models(self) -> None:
        self.f_models = []

    @rx.event
    async def fetch_models(self):  # noqa: ANN201
        """The upstream's model list: with the key typed in the form, else (editing) the stored key."""
        user, away = await self._require(Role.ADMIN)
        if user is None:
            yield away
            return
        self.fetching = True
        yield
        try:
            if self.f_key.strip():
                found = await channel_balance.fetch_models(self.f_base_url, int(self.f_type), self.f_key)
            elif self.editing_id:
                found = await channel_balance.fetch_channel_models(self.editing_id)
            else:
                raise ServiceError(msg("key must not be empty"))
        except ServiceError as exc:
            self.fetching = False
            yield rx.toast.error(self.tr_error(exc))
            return
        self.fetching = False
        before = len(self.f_models)
        self.f_models = merge(self.f_models, found)
        yield rx.toast.success(self.tr("{count} models added").format(count=len(self.f_models) - before))

    def _body(self) -> dict[str, Any] | None:
        """The service's request body, or None after marking what is wrong (nothing is sent)."""
        errors = {}
        for name in JSON_FIELDS:
            problem = json_problem(self.json_text.get(name, ""))
            if problem in ("object", "array"):
                errors[name] = self.tr("Must be a JSON object")
            elif problem:
                errors[name] = self.tr("Invalid JSON: {detail}").format(detail=problem)
        self.json_errors = {k: errors.get(k, "") for k in JSON_FIELDS}
        try:
            priority, weight = int(self.f_priority or 0), int(self.f_weight or 0)
        except ValueError:
            self.form_error = self.tr("Priority and weight must be whole numbers")
            return None
        if errors:
            self.form_error = self.tr("Fix the fields marked in red")
            return None
        body: dict[str, Any] = {
            "type": int(self.f_type), "name": self.f_name.strip(), "base_url": self.f_base_url.strip(),
            "models": ",".join(self.f_models), "group": ",".join(self.f_groups), "priority": priority,
            "weight": weight, "tag": self.f_tag.strip(), "test_model": self.f_test_model.strip(),
            "other": self.f_other.strip(), "auto_ban": 1 if self.f_auto_ban else 0,
            **{k: self.json_text.get(k, "").strip() for k in JSON_FIELDS},
        }
        if self.f_key.strip():
            body["key"] = self.f_key.strip()
        return body

    def _save(self, body: dict[str, Any], is_root: bool) -> None:
        if self.editing_id:
            change = channel_input.parse(ChannelUpdate, {**body, "id": self.editing_id})
            channels.update_channel(change, actor_is_root=is_root)
        else:
            channels.create_channels(channel_input.parse_create({"mode": "batch" if self.f_batch else "single",
                                                                 "channel": body}))

    @rx.event
    async def save(self):  # noqa: ANN201
        user, away = await self._require(Role.ADMIN)
        if user is None:
            return away
        self.form_error = ""
        body = self._body()
        if body is None:
            return None
        if not self.f_name.strip():
            self.form_error = self.tr("Enter a name")
            return None
        self.saving = True
        try:
            await backend_bridge.call(self._save, body, user.role >= Role.ROOT)
        except ServiceError as exc:
            field = next((k for k in JSON_FIELDS if exc.message.startswith(k)), "")
            if field:
                self.json_errors = {**self.json_errors, field: self.tr_error(exc)}
            self.form_error = self.tr_error(exc)
            return None
        finally:
            self.saving = False
        self.form_open = False
        reload = await self._load()
        return [rx.toast.success(self.tr("Saved")), *([reload] if reload else [])]
