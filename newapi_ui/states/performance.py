"""/performance (root): this worker's figures from `backend.services.performance` (memory, CPU,
threads, tasks, GC, database pools, caches, the ledger's backlog, disk), a GC run, the "since
reset" baseline and a clear of the in-process caches, as new-api's performance page has them."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from backend import cache
from backend.models.enums import Role
from backend.services import performance
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.locale import fmt_number
from newapi_ui.states.admin_gate import RoleGate
from newapi_ui.states.auth import AuthState

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")
SECTIONS = ("db_pools", "caches", "ledger", "journal", "since_reset")


def fmt_bytes(size: float) -> str:
    value, unit = float(size), 0
    while value >= 1024 and unit < len(UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return f"{value:.0f} {UNITS[unit]}" if unit == 0 else f"{value:.1f} {UNITS[unit]}"


def fmt_duration(seconds: float) -> str:
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{hours:02d}:{minutes:02d}:{secs:02d}"


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested figures as (dotted name, text) pairs, for the detail tables."""
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(value, list):
        return [(prefix, ", ".join(str(v) for v in value))]
    if isinstance(value, float):
        return [(prefix, f"{value:.3f}".rstrip("0").rstrip("."))]
    return [(prefix, str(value))]


class PerformanceState(RoleGate, AuthState):
    cards: dict[str, str] = {}
    details: list[dict[str, str]] = []
    busy: bool = False

    async def _refresh(self) -> None:
        tasks = len(asyncio.all_tasks())  # on the event loop: the figure is only meaningful here
        got = await backend_bridge.call(performance.stats, tasks)
        mem, disk, gen = got["memory_stats"], got["disk_space_info"], got["gc"]
        self.cards = {
            "uptime": fmt_duration(got["uptime_seconds"]),
            "rss": fmt_bytes(mem["alloc"]),
            "peak": fmt_bytes(mem["peak_rss"]),
            "cpu": f"{got['cpu']['user_seconds']:.1f} s / {got['cpu']['system_seconds']:.1f} s",
            "threads": fmt_number(got["threads"], self.lang),
            "tasks": fmt_number(tasks, self.lang),
            "gc": fmt_number(mem["num_gc"], self.lang) + f" ({', '.join(str(c) for c in gen['counts'])})",
            "disk": f"{fmt_bytes(disk['free'])} / {fmt_bytes(disk['total'])}",
        }
        self.details = [{"section": section, "name": name, "value": text}
                        for section in SECTIONS for name, text in flatten(got.get(section, {}))]

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self._guard(Role.ROOT)
        if redirect is not None:
            return redirect
        await self._refresh()
        return None

    async def _run(self, fn, done: str) -> Any:  # noqa: ANN001
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        self.busy = True
        try:
            result = await backend_bridge.call(fn)
            await self._refresh()
        finally:
            self.busy = False
        text = self.tr(done)
        if isinstance(result, dict) and "collected" in result:
            text = text.format(count=result["collected"])
        elif isinstance(result, int):
            text = text.format(count=result)
        return rx.toast.success(text)

    @rx.event
    async def refresh(self):  # noqa: ANN201
        return await self._run(lambda: None, N_("Refreshed"))

    @rx.event
    async def run_gc(self):  # noqa: ANN201
        return await self._run(performance.collect, N_("Garbage collection freed {count} objects"))

    @rx.event
    async def reset_stats(self):  # noqa: ANN201
        return await self._run(performance.reset, N_("The “since reset” figures start again now"))

    @rx.event
    async def clear_caches(self):  # noqa: ANN201
        return await self._run(cache.clear_local, N_("{count} cached entries cleared"))
