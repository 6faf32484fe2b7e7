"""/channel, the list: search, filters, row and batch actions, tags, deletes (through
`backend.services.channels`). The form, the tests and balances have states of their own
(channel_form.py, channel_checks.py); they reload this list through `reload_list`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import reflex as rx

from backend.cache.channels import parse_json_object
from backend.models import User, channel_types
from backend.models.enums import ChannelStatus, Role
from backend.services import channels, groups
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_, fmt_money
from newapi_ui.states.auth import AuthState
from newapi_ui.states.crud import CrudState
from newapi_ui.states.paging import PagedState, typed_rows

STATUS_LABELS = {
    ChannelStatus.ENABLED: (N_("Enabled"), "green"),
    ChannelStatus.MANUALLY_DISABLED: (N_("Disabled"), "gray"),
    ChannelStatus.AUTO_DISABLED: (N_("Auto-disabled"), "amber"),
}
UNKNOWN = N_("Unknown")
TYPE_CHOICES = [(str(t.id), f"{t.id} · {t.name}") for t in channel_types.CHANNEL_TYPES.values() if t.id]
@dataclass
class ChannelRow:
    id: str
    name: str
    type: str
    status: str
    status_color: str
    enabled: bool
    group: str
    models: str
    priority: str
    weight: str
    response_time: str
    balance: str
    used: str
    tag: str
    type_id: str
    multi: bool  # a multi-key channel (its keys are managed one by one)


def response_time_text(ms: int) -> str:
    """The last test's time, always in milliseconds (as the test dialog says it)."""
    return f"{ms} ms" if ms else "—"


class ChannelsState(CrudState, PagedState, AuthState):
    min_role = Role.ADMIN
    search_fields = {"keyword": "keyword", "group": "filter_group", "model": "filter_model"}
    keyword: str = ""
    filter_group: str = ""
    filter_model: str = ""
    filter_status: str = "all"
    filter_type: str = "all"
    tag_input: str = ""
    all_groups: list[str] = []
    rows = typed_rows(ChannelRow)

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

    def _format(self, row: dict[str, Any]) -> ChannelRow:
        label, colour = STATUS_LABELS.get(row["status"], (UNKNOWN, "gray"))
        models = [m for m in (row.get("models") or "").split(",") if m]
        shown = ", ".join(models[:3]) + (f" +{len(models) - 3}" if len(models) > 3 else "")
        return ChannelRow(
            id=str(row["id"]),
            name=row["name"],
            type=channel_types.channel_type_name(int(row["type"])),
            status=self.tr(label),
            status_color=colour,
            enabled=row["status"] == ChannelStatus.ENABLED,
            group=row.get("group") or "",
            models=shown,
            priority=str(row.get("priority") or 0),
            weight=str(row.get("weight") or 0),
            response_time=response_time_text(int(row.get("response_time") or 0)),
            balance=fmt_money(Decimal(str(row.get("balance") or 0)), self.lang),
            used=self.fmt_quota(int(row.get("used_quota") or 0)),
            tag=row.get("tag") or "",
            type_id=str(row["type"]),
            multi=bool(parse_json_object(row.get("channel_info")).get("is_multi_key")),
        )

    async def _prepare(self, user: User) -> None:
        self.all_groups = await backend_bridge.call(groups.all_groups)

    async def reload_list(self, *events: Any) -> list[Any]:
        """For the form and the checks: `events`, then this table reloaded."""
        return await self._reloaded(*events)

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

    @rx.event
    async def set_enabled(self, channel_id: str, enable: bool):  # noqa: ANN201
        status = ChannelStatus.ENABLED if enable else ChannelStatus.MANUALLY_DISABLED
        return await self._act(channels.set_status, [int(channel_id)], status,
                               done=N_("Channel enabled") if enable else N_("Channel disabled"))

    @rx.event
    def ask_delete(self, channel_id: str, name: str) -> None:
        self._ask("delete", self.tr("Delete channel “{name}”?").format(name=name), int(channel_id))

    @rx.event
    def ask_batch_delete(self):  # noqa: ANN201
        if not self.selected:
            return rx.toast.error(self.tr("Select channels first"))
        self._ask("delete", self.tr("Delete {count} selected channels?").format(count=len(self.selected)),
                  *[int(i) for i in self.selected])
        return None

    @rx.event
    def ask_delete_disabled(self) -> None:
        self._ask("delete_disabled", self.tr("Delete every disabled channel?"))

    async def _confirmed(self, action: str, *ids: Any) -> Any:
        if action == "delete":
            self.selected = [i for i in self.selected if int(i) not in ids]
            return await self._act(channels.delete_channels, list(ids), done=N_("Deleted"))
        return await self._act(channels.delete_disabled, done=N_("Deleted"))

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
