"""/ratio_sync (root): new-api's upstream ratio sync. Pick channels (their sites' `/api/ratio_config`)
or the two presets, fetch (`services.ratio_sync.fetch`: SSRF-checked, failures per source), see
where each source differs from our tables, and write the values ticked from one chosen source
(`services.ratio_apply`)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.models.enums import Role
from backend.services import ratio_apply, ratio_sync
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_
from newapi_ui.states.auth import AuthState

CHANNEL_ENDPOINT = "/api/ratio_config"
PRESET_ENDPOINTS = {-100: "/llm-metadata/api/newapi/ratio_config-v1-base.json", -101: "/api.json"}


def upstreams_for(sources: list[dict[str, Any]], chosen: list[str], endpoint: str) -> list[dict[str, Any]]:
    """The fetch's `upstreams`: each chosen source with its endpoint (presets have their own)."""
    picked = [s for s in sources if str(s["id"]) in chosen]
    return [{"id": s["id"], "name": s["name"], "base_url": s["base_url"],
             "endpoint": PRESET_ENDPOINTS.get(int(s["id"]), endpoint.strip() or CHANNEL_ENDPOINT)} for s in picked]


def number_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else str(value)
    return f"{value:g}"


def diff_rows(diffs: dict[str, dict[str, dict[str, Any]]], source: str) -> list[dict[str, str]]:
    """One row per differing (model, field): ours, and what `source` says (pickable when a number)."""
    rows = []
    for model in sorted(diffs):
        for field, entry in sorted(diffs[model].items()):
            theirs = (entry.get("upstreams") or {}).get(source)
            numeric = isinstance(theirs, int | float) and not isinstance(theirs, bool)
            rows.append({"key": f"{model}\t{field}", "model": model, "field": field,
                         "current": number_text(entry.get("current")), "theirs": number_text(theirs),
                         "pickable": "1" if numeric else ""})
    return rows


def picked_changes(diffs: dict[str, dict[str, dict[str, Any]]], source: str, keys: list[str]) -> list[dict]:
    changes = []
    for key in keys:
        model, _, field = key.partition("\t")
        value = ((diffs.get(model) or {}).get(field) or {}).get("upstreams", {}).get(source)
        if isinstance(value, int | float) and not isinstance(value, bool):
            changes.append({"model": model, "field": field, "value": value})
    return changes


class RatioSyncState(AuthState):
    sources: list[dict[str, str]] = []
    chosen: list[str] = []
    endpoint: str = CHANNEL_ENDPOINT
    fetching: bool = False
    results: list[dict[str, str]] = []
    answered: list[str] = []
    source: str = ""
    rows: list[dict[str, str]] = []
    ticked: list[str] = []
    _raw_sources: list[dict[str, Any]] = []
    _diffs: dict[str, dict[str, dict[str, Any]]] = {}

    @rx.event
    async def on_load(self):  # noqa: ANN201
        redirect = await self._guard(Role.ROOT)
        if redirect is not None:
            return redirect
        self._raw_sources = await backend_bridge.call(ratio_sync.syncable_channels)
        self.sources = [{"id": str(s["id"]), "name": s["name"], "base_url": s["base_url"]} for s in self._raw_sources]
        return None

    @rx.event
    def toggle_source(self, source_id: str) -> None:
        self.chosen = [c for c in self.chosen if c != source_id] if source_id in self.chosen else [*self.chosen,
                                                                                                     source_id]

    @rx.event
    def set_endpoint(self, value: str) -> None:
        self.endpoint = value

    @rx.event
    def toggle_row(self, key: str) -> None:
        self.ticked = [k for k in self.ticked if k != key] if key in self.ticked else [*self.ticked, key]

    @rx.event
    def tick_all(self, checked: bool) -> None:
        self.ticked = [r["key"] for r in self.rows if r["pickable"]] if checked else []

    @rx.event
    def set_source(self, name: str) -> None:
        self.source, self.ticked = name, []
        self.rows = diff_rows(self._diffs, name)

    @rx.event
    async def fetch(self):  # noqa: ANN201
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        self.fetching = True
        try:
            found = await ratio_sync.fetch(upstreams_for(self._raw_sources, self.chosen, self.endpoint), [],
                                           ratio_sync.DEFAULT_TIMEOUT)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.fetching = False
        if found is None:
            return rx.toast.error(self.tr(N_("无有效上游渠道")))  # ratio_sync.NO_UPSTREAM, new-api's words
        self._diffs = found["differences"]
        self.results = [{"name": t["name"], "ok": "1" if t["status"] == "success" else "",
                         "error": str(t.get("error") or "")} for t in found["test_results"]]
        self.answered = [t["name"] for t in found["test_results"] if t["status"] == "success"]
        self.source = self.answered[0] if self.answered else ""
        self.rows, self.ticked = diff_rows(self._diffs, self.source), []
        return None

    @rx.event
    async def apply(self):  # noqa: ANN201
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        changes = picked_changes(self._diffs, self.source, self.ticked)
        try:
            count = await backend_bridge.call(ratio_apply.apply, changes)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        applied = {f"{c['model']}\t{c['field']}" for c in changes}
        self.rows = [r for r in self.rows if r["key"] not in applied]
        self.ticked = []
        return rx.toast.success(self.tr("{count} values written").format(count=count))
