"""/log: usage logs one server page at a time through `backend.services.log_queries` (admins: every
user's rows with channels; users: their own, already stripped of channel and admin_info by the service).
Filter times are read in the browser's time zone, like every date the console shows."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

import reflex as rx

from backend.models import User
from backend.models.enums import LogType, Role
from backend.services import log_queries
from backend.services.errors import ServiceError
from backend.services.log_queries import LogFilter
from backend.services.pricing import USD_PER_RATIO_PER_MILLION
from newapi_ui import backend_bridge
from newapi_ui.i18n import COST_PLACES, N_, fmt_money, fmt_number, zone
from newapi_ui.log_details import event_text
from newapi_ui.states.auth import AuthState
from newapi_ui.states.paging import PagedState

TYPE_LABELS = {
    LogType.TOPUP: N_("Top-up"),
    LogType.CONSUME: N_("Consume"),
    LogType.MANAGE: N_("Manage"),
    LogType.SYSTEM: N_("System"),
    LogType.ERROR: N_("Error"),
    LogType.REFUND: N_("Refund"),
}
ALL = N_("All")
UNKNOWN = N_("Unknown")
TYPE_OPTIONS = ["0", *[str(int(t)) for t in TYPE_LABELS]]
# Rows whose quota column shows an amount, as new-api's log table does: charges and refunds. Other
# rows (top-up, manage, system, error) are blank there; their amounts are in their details.
_COSTED_TYPES = {LogType.CONSUME, LogType.REFUND}
_SHOWN_OTHER_KEYS = {
    "model_price", "model_ratio", "group_ratio", "completion_ratio", "cache_tokens", "cache_ratio",
    "cache_creation_tokens", "cache_creation_ratio", "frt", "request_id", "admin_info",
}


def parse_local(text: str, tz: tzinfo) -> int:
    """A `datetime-local` input value (wall time in `tz`) as a Unix time; empty or invalid -> 0 (no bound)."""
    try:
        return int(datetime.fromisoformat(text).replace(tzinfo=tz).timestamp()) if text else 0
    except ValueError:
        return 0


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def parse_other(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _priced(other: dict[str, Any]) -> bool:
    """Whether `other` holds the pricing facts a consume row's (Chinese, new-api) content spells out."""
    return "model_ratio" in other or "model_price" in other


def cost_text(row: dict[str, Any], fmt_quota: Callable[[int, int], str]) -> str:
    """A row's amount with new-api's six decimals; blank for rows that are not a charge or refund."""
    if row["type"] not in _COSTED_TYPES:
        return ""
    return fmt_quota(int(row["quota"]), COST_PLACES)


class LogsState(PagedState, AuthState):
    log_type: str = "0"
    start_time: str = ""
    end_time: str = ""
    model_name: str = ""
    token_name: str = ""
    channel: str = ""
    target_username: str = ""  # admins only (AuthState.username is the viewer)
    stat_quota: int = 0
    stat_rpm: int = 0
    stat_tpm: int = 0
    detail_open: bool = False
    _detail: dict[str, Any] = {}

    def _filter(self, user: User) -> LogFilter:
        f = LogFilter(
            type=int(self.log_type) if self.log_type.isdigit() else 0,
            start_timestamp=parse_local(self.start_time, zone(self.time_zone)),
            end_timestamp=parse_local(self.end_time, zone(self.time_zone)),
            model_name=self.model_name.strip(), token_name=self.token_name.strip(),
        )
        if user.role >= Role.ADMIN:
            f.username = self.target_username.strip()
            f.channel = int(self.channel) if self.channel.strip().isdigit() else 0
        else:
            f.user_id = user.id
        return f

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        found, total = log_queries.page(self._filter(user), p, page_size, admin=user.role >= Role.ADMIN)
        rows = [r.model_dump() for r in found]
        for i, row in enumerate(rows):
            row["_idx"] = i  # the detail dialog's handle on the row
        return rows, total

    async def _load(self):  # noqa: ANN202
        result = await PagedState._load(self)
        user = await self.current_user()
        if user is not None:
            try:
                stat = await backend_bridge.call(log_queries.stat, self._filter(user))
            except ServiceError as exc:
                return rx.toast.error(self.tr_error(exc))
            self.stat_quota, self.stat_rpm, self.stat_tpm = stat.quota, stat.rpm, stat.tpm
        return result

    @rx.event
    async def apply(self, form: dict[str, Any]):  # noqa: ANN201
        self.log_type = str(form.get("log_type") or self.log_type)
        self.start_time = str(form.get("start_time") or "")
        self.end_time = str(form.get("end_time") or "")
        self.model_name = str(form.get("model_name") or "")[:255]
        self.token_name = str(form.get("token_name") or "")[:64]
        self.channel = str(form.get("channel") or "")
        self.target_username = str(form.get("username") or "")[:64]
        self.page = 1
        return await self._load()

    @rx.event
    async def set_log_type(self, value: str):  # noqa: ANN201
        if value in TYPE_OPTIONS:
            self.log_type, self.page = value, 1
        return await self._load()

    @rx.var(cache=False)
    def type_items(self) -> list[list[str]]:
        return [["0", self.tr(ALL)]] + [[str(int(t)), self.tr(label)] for t, label in TYPE_LABELS.items()]

    @rx.var(cache=False)
    def stat_quota_text(self) -> str:
        return self.fmt_quota(self.stat_quota)

    @rx.var(cache=False)
    def stat_rpm_text(self) -> str:
        return fmt_number(self.stat_rpm, self.lang)

    @rx.var(cache=False)
    def stat_tpm_text(self) -> str:
        return fmt_number(self.stat_tpm, self.lang)

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        use = f"{row['use_time']} s"
        return {
            "idx": str(row.get("_idx", 0)),
            "time": self.fmt_datetime(int(row["created_at"])),
            "user": row["username"],
            "channel": f"#{row['channel']} {row.get('channel_name', '')}".strip() if row["channel"] else "",
            "token": row["token_name"],
            "type": self.tr(TYPE_LABELS.get(row["type"], UNKNOWN)),
            "model": row["model_name"],
            "use_time": use + (" · " + self.tr("Stream") if row["is_stream"] else ""),
            "prompt": fmt_number(int(row["prompt_tokens"]), self.lang),
            "completion": fmt_number(int(row["completion_tokens"]), self.lang),
            "quota": self.cost_text(row),
        }

    def cost_text(self, row: dict[str, Any]) -> str:
        return cost_text(row, self.fmt_quota)

    @rx.event
    def open_detail(self, idx: str) -> None:
        i = int(idx) if str(idx).isdigit() else -1
        if 0 <= i < len(self._raw_rows):
            self._detail = self._raw_rows[i]
            self.detail_open = True

    @rx.event
    def set_detail_open(self, value: bool) -> None:
        self.detail_open = value

    @rx.var(cache=False)
    def detail_items(self) -> list[list[str]]:
        """[label, value] pairs for the row dialog; only what the row actually carries."""
        row = self._detail
        if not row:
            return []
        other = parse_other(row.get("other", ""))
        lang = self.lang
        items = [
            [self.tr("Time"), self.fmt_datetime(int(row["created_at"]))],
            [self.tr("Type"), self.tr(TYPE_LABELS.get(row["type"], UNKNOWN))],
            [self.tr("Model"), row["model_name"]],
            [self.tr("Token"), row["token_name"]],
            [self.tr("Group"), row["group"]],
            [self.tr("Prompt tokens"), fmt_number(int(row["prompt_tokens"]), lang)],
            [self.tr("Completion tokens"), fmt_number(int(row["completion_tokens"]), lang)],
            [self.tr("Duration"), f"{fmt_number(int(row['use_time']), lang)} s"],
        ]
        if row["type"] in _COSTED_TYPES:
            items.insert(7, [self.tr("Quota"), self.cost_text(row)])
        if row["type"] == LogType.CONSUME:
            items.append([self.tr("Stream"), self.tr("Yes") if row["is_stream"] else self.tr("No")])
        items += self._pricing_items(other)
        if "frt" in other:
            items.append([self.tr("First response time"), f"{fmt_number(int(other['frt']), lang)} ms"])
        if other.get("request_id"):
            items.append([self.tr("Request ID"), str(other["request_id"])])
        if row.get("ip"):
            items.append([self.tr("IP"), row["ip"]])
        details = event_text(other, self.tr, self.fmt_quota, lambda n: fmt_number(n, lang))
        if details is not None:
            other = {k: v for k, v in other.items() if k in _SHOWN_OTHER_KEYS}  # all said in `details`
        elif row["content"] and not _priced(other):  # a consume row's content repeats the ratios above
            details = row["content"]
        if details:
            items.append([self.tr("Details"), details])
        if self.is_admin:
            items += self._admin_items(row, other)
        extra = {k: v for k, v in other.items() if k not in _SHOWN_OTHER_KEYS}
        if extra:
            items.append([self.tr("Other"), json.dumps(extra, ensure_ascii=False)])
        return items

    def _pricing_items(self, other: dict[str, Any]) -> list[list[str]]:
        lang = self.lang
        items: list[list[str]] = []
        price = _decimal(other.get("model_price"))
        ratio, group = _decimal(other.get("model_ratio")), _decimal(other.get("group_ratio"))
        completion = _decimal(other.get("completion_ratio"))
        if group is not None:
            items.append([self.tr("Group ratio"), fmt_number(group, lang)])
        if price is not None and price >= 0:
            items.append([self.tr("Price per call"), fmt_money(price, lang)])
        elif ratio is not None:
            items.append([self.tr("Model ratio"), fmt_number(ratio, lang)])
            if completion is not None:
                items.append([self.tr("Completion ratio"), fmt_number(completion, lang)])
            inp = ratio * USD_PER_RATIO_PER_MILLION * (group if group is not None else 1)
            items.append([self.tr("Input price (per 1M tokens)"), fmt_money(inp, lang)])
            if completion is not None:
                items.append([self.tr("Output price (per 1M tokens)"), fmt_money(inp * completion, lang)])
        for key, label in (("cache_tokens", N_("Cached tokens")), ("cache_ratio", N_("Cache ratio")),
                           ("cache_creation_tokens", N_("Cache write tokens")),
                           ("cache_creation_ratio", N_("Cache write ratio"))):
            value = _decimal(other.get(key))
            if value is not None and (value or key.endswith("tokens")):
                items.append([self.tr(label), fmt_number(value, lang)])
        return items

    def _admin_items(self, row: dict[str, Any], other: dict[str, Any]) -> list[list[str]]:
        items = [[self.tr("User"), f"{row['username']} (#{row['user_id']})"]]
        if row["channel"]:
            items.append([self.tr("Channel"), f"#{row['channel']} {row.get('channel_name', '')}".strip()])
        info = other.get("admin_info")
        tried = info.get("use_channel") if isinstance(info, dict) else None
        if isinstance(tried, list) and tried:
            items.append([self.tr("Channels tried"), " → ".join(str(c) for c in tried)])
        return items
