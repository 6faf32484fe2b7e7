"""/detail: account cards plus the period's usage from `quota_data` (hourly rows per user and model),
summed into hour, day or week buckets for the charts. Days and weeks are the browser's (its time zone)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

import reflex as rx

from backend.models.enums import Role
from backend.services import dashboard_data
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_, fmt_number, zone
from newapi_ui.states.auth import AuthState

GRANULARITIES = {"hour": 3600, "day": 86400, "week": 7 * 86400}
GRANULARITY_LABELS = {"hour": N_("Hour"), "day": N_("Day"), "week": N_("Week")}
MAX_SERIES = 6  # the biggest models get their own colour; the rest are summed as "Other"
SERIES_KEYS = [f"s{i}" for i in range(MAX_SERIES + 1)]
OTHER = N_("Other")
DEFAULT_DAYS = 7


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _epoch(d: date, tz: tzinfo) -> int:
    return int(datetime.combine(d, time(), tz).timestamp())


def bucket_of(ts: int, granularity: str, tz: tzinfo) -> datetime | date:
    """The start of the hour, day or week (weeks start on Monday) holding `ts`, in the zone `tz`."""
    moment = datetime.fromtimestamp(ts, tz)
    if granularity == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.date()
    return day - timedelta(days=day.weekday()) if granularity == "week" else day


def bucket_label(bucket: datetime | date) -> str:
    return bucket.strftime("%m-%d %H:00") if isinstance(bucket, datetime) else bucket.isoformat()


def chart_series(rows: list[dict[str, Any]], granularity: str,
                 tz: tzinfo) -> tuple[list[str], list[dict], list[dict]]:
    """(series model names, calls rows, quota rows): one row per bucket, one key per series."""
    by_quota: dict[str, int] = defaultdict(int)
    for r in rows:
        by_quota[r["model_name"]] += int(r["quota"]) or 1  # calls without cost still rank
    ranked = sorted(by_quota, key=lambda m: (-by_quota[m], m))
    names = ranked[:MAX_SERIES]
    key_of = {m: f"s{i}" for i, m in enumerate(names)}
    if len(ranked) > MAX_SERIES:
        names.append(OTHER)
    other_key = f"s{MAX_SERIES}"
    calls: dict[Any, dict[str, int]] = {}
    quota: dict[Any, dict[str, int]] = {}
    for r in rows:
        bucket = bucket_of(int(r["created_at"]), granularity, tz)
        key = key_of.get(r["model_name"], other_key)
        calls.setdefault(bucket, defaultdict(int))[key] += int(r["count"])
        quota.setdefault(bucket, defaultdict(int))[key] += int(r["quota"])
    return names, _rows(calls), _rows(quota)


def _rows(buckets: dict[Any, dict[str, int]]) -> list[dict]:
    return [{"t": bucket_label(b), **values} for b, values in sorted(buckets.items())]


class DashboardState(AuthState):
    start_date: str = ""
    end_date: str = ""
    granularity: str = "day"
    target_username: str = ""  # admins: whose usage ("" = everyone)
    loading: bool = False
    period_quota: int = 0
    period_tokens: int = 0
    period_calls: int = 0
    period_minutes: int = 1
    series_names: list[str] = []
    _calls: list[dict] = []
    _quota: list[dict] = []

    @rx.var(cache=False)
    def period_quota_text(self) -> str:
        return self.fmt_quota(self.period_quota)

    @rx.var(cache=False)
    def period_tokens_text(self) -> str:
        return fmt_number(self.period_tokens, self.lang)

    @rx.var(cache=False)
    def period_calls_text(self) -> str:
        return fmt_number(self.period_calls, self.lang)

    @rx.var(cache=False)
    def avg_rpm_text(self) -> str:
        return fmt_number(round(Decimal(self.period_calls) / self.period_minutes, 3), self.lang)

    @rx.var(cache=False)
    def avg_tpm_text(self) -> str:
        return fmt_number(round(Decimal(self.period_tokens) / self.period_minutes, 3), self.lang)

    @rx.var(cache=False)
    def balance_text(self) -> str:
        return self.fmt_quota(self.quota)

    @rx.var(cache=False)
    def used_text(self) -> str:
        return self.fmt_quota(self.used_quota)

    @rx.var(cache=False)
    def requests_text(self) -> str:
        return fmt_number(self.request_count, self.lang)

    @rx.var(cache=False)
    def legend(self) -> list[str]:
        return [self.tr(n) if n == OTHER else n for n in self.series_names]

    @rx.var(cache=False)
    def calls_chart(self) -> list[dict]:
        return self._calls

    @rx.var(cache=False)
    def quota_chart(self) -> list[dict]:
        """Money as a number (the chart's axis) when the instance shows quota as currency."""
        if not self.display_in_currency or self.quota_per_unit <= 0:
            return self._quota
        unit = self.quota_per_unit
        return [{k: (v if k == "t" else round(v / unit, 6)) for k, v in row.items()} for row in self._quota]

    @rx.var
    def has_data(self) -> bool:
        return self.period_calls > 0

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self.guard_user()
        if redirect is not None:
            return redirect
        if not self.end_date:
            today = datetime.now(zone(self.time_zone)).date()
            self.end_date = today.isoformat()
            self.start_date = (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
        return await self._refresh()

    @rx.event
    async def preset(self, days: int):  # noqa: ANN201
        """The last `days` days up to today, in the browser's time zone (Today, 7 days, 30 days)."""
        today = datetime.now(zone(self.time_zone)).date()
        self.end_date = today.isoformat()
        self.start_date = (today - timedelta(days=max(1, int(days)) - 1)).isoformat()
        return await self._refresh()

    @rx.event
    async def apply(self, form: dict[str, Any]):  # noqa: ANN201
        self.start_date = str(form.get("start_date") or self.start_date)
        self.end_date = str(form.get("end_date") or self.end_date)
        self.target_username = str(form.get("username") or "").strip()
        return await self._refresh()

    @rx.event
    async def set_granularity(self, value: str | list[str]):  # noqa: ANN201
        if isinstance(value, str) and value in GRANULARITIES:
            self.granularity = value
        return await self._refresh()

    async def _refresh(self):  # noqa: ANN202
        user = await self.current_user()
        if user is None:
            return self._to_login()
        start, end = _day(self.start_date), _day(self.end_date)
        if start is None or end is None:
            return rx.toast.error(self.tr("Pick a start and an end date"))
        tz = zone(self.time_zone)
        start_ts, end_ts = _epoch(start, tz), _epoch(end + timedelta(days=1), tz) - 1
        self.loading = True
        try:
            if user.role >= Role.ADMIN:
                rows = await backend_bridge.call(dashboard_data.query, start_ts, end_ts, username=self.target_username)
            else:
                rows = await backend_bridge.call(dashboard_data.query, start_ts, end_ts, user_id=user.id)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.loading = False
        self.period_quota = sum(int(r["quota"]) for r in rows)
        self.period_tokens = sum(int(r["token_used"]) for r in rows)
        self.period_calls = sum(int(r["count"]) for r in rows)
        self.period_minutes = max(1, (end_ts + 1 - start_ts) // 60)
        self.series_names, self._calls, self._quota = chart_series(rows, self.granularity, tz)
        return None


