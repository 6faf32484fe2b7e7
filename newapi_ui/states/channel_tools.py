"""The channel list's tools (admins), beside `ChannelsState`: copy a channel, review its upstream's
model changes (`upstream_models` / `relay.upstream_updates`), pull and delete models on an Ollama
server (`relay.ollama_manage`, progress streamed while it runs) and manage a multi-key channel's
keys (`multi_keys`). After a change the channel table reloads."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models.enums import ChannelStatus, Role
from backend.relay import ollama_manage, upstream_updates
from backend.services import channel_tools, multi_keys, upstream_models
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState
from newapi_ui.states.channels import ChannelsState

KEY_STATUS = {ChannelStatus.ENABLED: (N_("Enabled"), "green"), ChannelStatus.MANUALLY_DISABLED: (N_("Disabled"), "gray"),
              ChannelStatus.AUTO_DISABLED: (N_("Auto-disabled"), "amber")}


def progress_text(event: dict[str, Any]) -> tuple[str, int]:
    """(status line, percent) of one Ollama pull progress object."""
    status = str(event.get("status") or "")
    total, done = event.get("total"), event.get("completed")
    if isinstance(total, int) and isinstance(done, int) and total > 0:
        return status, min(100, done * 100 // total)
    return status, -1


def toggled(chosen: list[str], name: str) -> list[str]:
    return [n for n in chosen if n != name] if name in chosen else [*chosen, name]


class ChannelToolsState(AuthState):
    busy: bool = False
    tool_channel_id: int = 0
    tool_channel_name: str = ""
    # upstream model updates
    up_open: bool = False
    up_add: list[str] = []
    up_remove: list[str] = []
    up_add_chosen: list[str] = []
    up_remove_chosen: list[str] = []
    # Ollama
    ol_open: bool = False
    ol_version: str = ""
    ol_model: str = ""
    ol_status: str = ""
    ol_percent: int = 0
    ol_pulling: bool = False
    # multi-key
    mk_open: bool = False
    mk_rows: list[dict[str, str]] = []
    mk_summary: str = ""

    async def _admin(self) -> Any:
        user, away = await self._require(Role.ADMIN)
        return away if user is None else None

    def _target(self, channel_id: str, name: str) -> None:
        self.tool_channel_id, self.tool_channel_name = int(channel_id), name

    # ---- copy -------------------------------------------------------------------------------

    @rx.event
    async def copy(self, channel_id: str):  # noqa: ANN201
        away = await self._admin()
        if away is not None:
            return away
        try:
            new_id = await backend_bridge.call(channel_tools.copy_channel, int(channel_id))
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        return [rx.toast.success(self.tr("Copied as channel #{id}").format(id=new_id)), ChannelsState.load]

    # ---- upstream model updates -----------------------------------------------------------------

    @rx.event
    async def open_upstream(self, channel_id: str, name: str):  # noqa: ANN201
        away = await self._admin()
        if away is not None:
            return away
        self._target(channel_id, name)
        self.busy = True
        try:
            found = await upstream_updates.detect(self.tool_channel_id)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.busy = False
        self.up_add, self.up_remove = found.add_models, found.remove_models
        self.up_add_chosen, self.up_remove_chosen = list(found.add_models), []
        self.up_open = True
        return None

    @rx.event
    def set_up_open(self, value: bool) -> None:
        self.up_open = bool(value)

    @rx.event
    def toggle_add(self, name: str) -> None:
        self.up_add_chosen = toggled(self.up_add_chosen, name)

    @rx.event
    def toggle_remove(self, name: str) -> None:
        self.up_remove_chosen = toggled(self.up_remove_chosen, name)

    async def _apply(self, add: list[str], remove: list[str], ignore: list[str]) -> Any:
        away = await self._admin()
        if away is not None:
            return away
        try:
            await backend_bridge.call(upstream_models.apply, self.tool_channel_id, add, remove, ignore)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        self.up_open = False
        return [rx.toast.success(self.tr("Saved")), ChannelsState.load]

    @rx.event
    async def apply_upstream(self):  # noqa: ANN201
        return await self._apply(self.up_add_chosen, self.up_remove_chosen, [])

    @rx.event
    async def ignore_upstream(self):  # noqa: ANN201
        """The ticked additions are ignored from now on (new-api's ignore list)."""
        return await self._apply([], [], self.up_add_chosen)

    @rx.event
    async def detect_all(self):  # noqa: ANN201
        away = await self._admin()
        if away is not None:
            return away
        self.busy = True
        try:
            found = await upstream_updates.detect_all()
        finally:
            self.busy = False
        return rx.toast.info(self.tr("{checked} channels checked: {changed} with changes, {failed} failed").format(
            checked=found["checked_channels"], changed=found["changed_channels"], failed=found["failed_channels"]))

    @rx.event
    async def apply_all(self):  # noqa: ANN201
        away = await self._admin()
        if away is not None:
            return away
        done = await backend_bridge.call(upstream_models.apply_all)
        text = self.tr("{added} models added and {removed} removed").format(added=done["added_models"],
                                                                            removed=done["removed_models"])
        return [rx.toast.success(text), ChannelsState.load]

    # ---- Ollama ---------------------------------------------------------------------------------

    @rx.event
    async def open_ollama(self, channel_id: str, name: str):  # noqa: ANN201
        away = await self._admin()
        if away is not None:
            return away
        self._target(channel_id, name)
        self.ol_status, self.ol_percent, self.ol_model, self.ol_version = "", 0, "", ""
        try:
            self.ol_version = await ollama_manage.version(self.tool_channel_id)
        except ServiceError as exc:
            self.ol_status = self.tr_error(exc)
        self.ol_open = True
        return None

    @rx.event
    def set_ol_open(self, value: bool) -> None:
        if not self.ol_pulling:
            self.ol_open = bool(value)

    @rx.event
    def set_ol_model(self, value: str) -> None:
        self.ol_model = value

    @rx.event(background=True)
    async def pull(self):  # noqa: ANN201
        async with self:
            away = await self._admin()
            if away is not None:
                return away
            name = self.ol_model.strip()
            if not name or self.ol_pulling:
                return None
            self.ol_pulling, self.ol_status, self.ol_percent = True, self.tr("Starting…"), 0
            channel_id = self.tool_channel_id
        failure = ""
        refusal: ServiceError | None = None
        try:
            info = await ollama_manage.ollama_channel(channel_id)
            async for event in ollama_manage.pull_events(info, name):
                if "error" in event:
                    failure = str(event["error"])
                    continue
                line, percent = progress_text(event)
                async with self:
                    self.ol_status = line or self.ol_status
                    if percent >= 0:
                        self.ol_percent = percent
        except ServiceError as exc:
            refusal = exc
        async with self:
            self.ol_pulling = False
            if refusal is not None:
                failure = self.tr_error(refusal)
            if failure:
                self.ol_status = failure
                return rx.toast.error(failure)
            self.ol_status, self.ol_percent = self.tr("Pulled {model}").format(model=name), 100
            return rx.toast.success(self.ol_status)

    @rx.event
    async def delete_model(self):  # noqa: ANN201
        away = await self._admin()
        if away is not None:
            return away
        name = self.ol_model.strip()
        if not name:
            return None
        try:
            await ollama_manage.delete(self.tool_channel_id, name)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        self.ol_status = self.tr("Deleted {model}").format(model=name)
        return rx.toast.success(self.ol_status)

    # ---- multi-key ------------------------------------------------------------------------------

    async def _load_keys(self) -> None:
        _msg, data = await backend_bridge.call(
            multi_keys.manage, multi_keys.Request(self.tool_channel_id, "get_key_status", page_size=multi_keys.MAX_PAGE_SIZE))
        rows = []
        for key in data["keys"]:
            label, colour = KEY_STATUS.get(key["status"], KEY_STATUS[ChannelStatus.MANUALLY_DISABLED])
            rows.append({"index": str(key["index"]), "preview": key["key_preview"], "status": self.tr(label),
                         "color": colour, "enabled": "1" if key["status"] == ChannelStatus.ENABLED else "",
                         "reason": str(key.get("reason") or "")})
        self.mk_rows = rows
        self.mk_summary = self.tr("{enabled} enabled, {manual} disabled, {auto} auto-disabled").format(
            enabled=data["enabled_count"], manual=data["manual_disabled_count"], auto=data["auto_disabled_count"])

    @rx.event
    async def open_keys(self, channel_id: str, name: str):  # noqa: ANN201
        away = await self._admin()
        if away is not None:
            return away
        self._target(channel_id, name)
        try:
            await self._load_keys()
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        self.mk_open = True
        return None

    @rx.event
    def set_mk_open(self, value: bool) -> None:
        self.mk_open = bool(value)

    @rx.event
    async def key_action(self, action: str, index: str = ""):  # noqa: ANN201
        away = await self._admin()
        if away is not None:
            return away
        req = multi_keys.Request(self.tool_channel_id, action, key_index=int(index) if index else None)
        try:
            await backend_bridge.call(multi_keys.manage, req)
            await self._load_keys()
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        return ChannelsState.load
