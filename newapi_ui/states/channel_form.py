"""/channel, the create/edit dialog: every field of a channel, type-aware hints, the model list
(typed, or fetched from the upstream) and the JSON columns checked before anything is sent."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from backend.models import channel_types
from backend.models.enums import Role
from backend.models.schemas.channel import ChannelUpdate
from backend.relay import channel_balance
from backend.services import channel_input, channels, groups
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.components.json_editor import json_problem, pretty
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState
from newapi_ui.states.channels import ChannelsState

# The JSON columns the form edits, as the service names them.
JSON_FIELDS = ("model_mapping", "status_code_mapping", "param_override", "header_override", "setting")
# What the form needs to know about the families whose fields mean something special.
TYPE_HINTS = {
    channel_types.AZURE: N_("Azure: the base URL is your resource endpoint; put the API version in Other "
                            "(e.g. 2024-10-21)."),
    channel_types.AWS: N_("AWS Bedrock: the key is AccessKey|SecretKey|Region (or ApiKey|Region)."),
    channel_types.VERTEX: N_("Vertex AI: the key is the service-account JSON; Other is the region, or a JSON "
                             "map of model to region with a default entry."),
    channel_types.CUSTOM: N_("Custom: the base URL is the whole endpoint; {model} is replaced by the model."),
}


def relaying_types() -> list[tuple[str, str]]:
    """The types a channel can be created with: those the relay has an adaptor for, as (id, "id · name").
    (A placeholder URL, so only the type itself is judged, not a missing base URL.)"""
    return [(str(t.id), f"{t.id} · {t.name}") for t in channel_types.CHANNEL_TYPES.values()
            if t.id and channel_types.unsupported_reason(t.id, "https://upstream.example") is None]


RELAYING_TYPES = relaying_types()
FIX_FIELDS = N_("Fix the fields marked in red")


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


class ChannelFormState(AuthState):
    form_open: bool = False
    editing_id: int = 0
    key_count: int = 0
    all_groups: list[str] = []
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
    type_query: str = ""
    saving: bool = False
    fetching: bool = False

    @rx.var
    def type_options(self) -> list[list[str]]:
        """The relaying types whose id or name holds the search, and always the type chosen."""
        q = self.type_query.strip().lower()
        return [[v, label] for v, label in RELAYING_TYPES if not q or q in label.lower() or v == self.f_type]

    @rx.event
    def set_type_query(self, value: str) -> None:
        self.type_query = value

    @rx.var(cache=False)
    def type_hint(self) -> str:
        family = channel_types.channel_type(int(self.f_type)).family if self.f_type.isdigit() else ""
        return self.tr(TYPE_HINTS[family]) if family in TYPE_HINTS else ""

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
            if self.form_error == self.tr(FIX_FIELDS) and not any(self.json_errors.values()):
                self.form_error = ""  # every marked field was edited: the summary has nothing left to say

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

    def _setting(self) -> dict | None:
        """The form's channel settings (its proxy), when they are a JSON object."""
        try:
            value = json.loads(self.json_text.get("setting", "") or "{}")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    async def _key(self) -> str:
        """The key typed in the form, else (editing) the stored one, read here and never sent to the page."""
        if self.f_key.strip() or not self.editing_id:
            return self.f_key
        return await backend_bridge.call(channels.reveal_key, self.editing_id)

    @rx.event
    async def fetch_models(self):  # noqa: ANN201
        """The upstream's model list, from the base URL and type in the form (what the admin is
        about to save), with the typed key or, editing, the stored one."""
        user, away = await self._require(Role.ADMIN)
        if user is None:
            yield away
            return
        self.fetching = True
        yield
        base = self.f_base_url.strip() or channel_types.default_base_url(int(self.f_type))
        try:
            found = await channel_balance.fetch_models(base, int(self.f_type), await self._key(), self._setting())
        except ServiceError as exc:
            self.fetching = False
            yield rx.toast.error(self.tr("Could not list the models at {url}: {error}").format(
                url=base or "—", error=self.tr_error(exc)))
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
            self.form_error = self.tr(FIX_FIELDS)
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
                self.json_errors = {**self.json_errors, field: exc.message}
            self.form_error = self.tr_error(exc)
            return None
        finally:
            self.saving = False
        self.form_open = False
        listing = await self.get_state(ChannelsState)
        return await listing.reload_list(rx.toast.success(self.tr("Saved")))
