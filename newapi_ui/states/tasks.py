"""/midjourney and /task: Midjourney drawing logs and async task logs, one server page at a time
through `backend.services.tasks` (admins: every row, channel shown and filterable; users: their own,
without the channel). Filter times are read in the browser's time zone."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models import User, channel_types
from backend.models.enums import Role
from backend.services import tasks
from backend.services.tasks import MjFilter, TaskFilter
from newapi_ui.i18n import N_, zone
from newapi_ui.states.auth import AuthState
from newapi_ui.states.logs import parse_local
from newapi_ui.states.paging import PagedState

STATUS_LABELS = {
    "": N_("Unknown"), "NOT_START": N_("Not started"), "SUBMITTED": N_("Submitted"), "QUEUED": N_("Queued"),
    "IN_PROGRESS": N_("In progress"), "SUCCESS": N_("Success"), "FAILURE": N_("Failure"), "UNKNOWN": N_("Unknown"),
}


# new-api's own task platforms; a video task's platform is its channel type's id
_NAMED_PLATFORMS = {"suno": "Suno", "mj": "Midjourney"}
KIND_LABELS = {"music": N_("Music"), "video": N_("Video")}


def platform_label(platform: str) -> str:
    """The provider's name for a stored platform ("51" -> "Jimeng", "suno" -> "Suno")."""
    if platform.isdigit():
        return channel_types.channel_type_name(int(platform))
    return _NAMED_PLATFORMS.get(platform, platform)


def task_kind(platform: str) -> str:
    return "music" if platform == "suno" else "video"


class _Filters(rx.State, mixin=True):
    task_id: str = ""
    start_time: str = ""
    end_time: str = ""
    channel: str = ""

    def _bounds(self, scale: int) -> tuple[int, int]:
        tz = zone(self.time_zone)  # type: ignore[attr-defined]  (AuthState's, mixed in with it)
        return parse_local(self.start_time, tz) * scale, parse_local(self.end_time, tz) * scale

    def _read_form(self, form: dict[str, Any]) -> None:
        self.task_id = str(form.get("task_id") or "").strip()[:191]
        self.start_time = str(form.get("start_time") or "")
        self.end_time = str(form.get("end_time") or "")
        self.channel = str(form.get("channel") or "")
        self.page = 1  # type: ignore[attr-defined]  (PagedState's)


class MjLogsState(PagedState, _Filters, AuthState):
    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        start, end = self._bounds(1000)  # submit_time is in milliseconds
        f = MjFilter(mj_id=self.task_id, start_timestamp=start, end_timestamp=end)
        if user.role >= Role.ADMIN:
            f.channel_id = int(self.channel) if self.channel.strip().isdigit() else 0
        else:
            f.user_id = user.id
        return tasks.mj_page(f, (p - 1) * page_size, page_size)

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        return {
            "time": self.fmt_datetime(int(row.get("submit_time") or 0) // 1000),
            "channel": str(row.get("channel_id") or ""),
            "action": str(row.get("action") or ""),
            "id": str(row.get("mj_id") or ""),
            "status": self.tr(STATUS_LABELS.get(str(row.get("status") or ""), STATUS_LABELS[""])),
            "progress": str(row.get("progress") or ""),
            "image": str(row.get("image_url") or ""),
            "prompt": str(row.get("prompt") or ""),
            "fail_reason": str(row.get("fail_reason") or ""),
            "quota": self.fmt_quota(int(row.get("quota") or 0)),
        }

    @rx.event
    async def apply(self, form: dict[str, Any]):  # noqa: ANN201
        self._read_form(form)
        return await self._load()


class TaskLogsState(PagedState, _Filters, AuthState):
    status: str = ""

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        start, end = self._bounds(1)
        f = TaskFilter(task_id=self.task_id, status=self.status if self.status in STATUS_LABELS else "",
                       start_timestamp=start, end_timestamp=end)
        if user.role >= Role.ADMIN:
            f.channel_id = int(self.channel) if self.channel.strip().isdigit() else 0
        else:
            f.user_id = user.id
        return tasks.task_page(f, (p - 1) * page_size, page_size)

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        finish = int(row.get("finish_time") or 0)
        return {
            "time": self.fmt_datetime(int(row.get("submit_time") or 0)),
            "finish": self.fmt_datetime(finish) if finish else "",
            "channel": str(row.get("channel_id") or ""),
            "platform": platform_label(str(row.get("platform") or "")),
            "kind": self.tr(KIND_LABELS[task_kind(str(row.get("platform") or ""))]),
            "video": "1" if task_kind(str(row.get("platform") or "")) == "video" and row.get("result_url") else "",
            "action": str(row.get("action") or ""),
            "id": str(row.get("task_id") or ""),
            "status": self.tr(STATUS_LABELS.get(str(row.get("status") or ""), STATUS_LABELS[""])),
            "progress": str(row.get("progress") or ""),
            "result": str(row.get("result_url") or ""),
            "fail_reason": str(row.get("fail_reason") or ""),
            "quota": self.fmt_quota(int(row.get("quota") or 0)),
        }

    @rx.event
    async def apply(self, form: dict[str, Any]):  # noqa: ANN201
        self._read_form(form)
        status = str(form.get("status") or "").strip().upper()
        self.status = status if status in STATUS_LABELS else ""
        return await self._load()
