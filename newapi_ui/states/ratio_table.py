"""The visual price editor of /admin/settings (root only): model ratio, completion ratio and model
price per model, and the group ratios, as tables. It reads and writes the same options as the raw
JSON editors (`ModelRatio`, `CompletionRatio`, `ModelPrice`, `GroupRatio`: the admin's entries laid
over the built-in prices) through `option_rules.save`. Models that enabled channels serve but that
have no price at all, built in or entered, are flagged: a call to one is refused (or billed at
new-api's fallback in self-use mode)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
import reflex as rx

from backend.models.enums import Role
from backend.services import option_rules, options, pricing, ratios
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.states.admin_settings import AdminSettingsState
from newapi_ui.states.auth import AuthState

# Row field -> the option it is saved into.
COLUMNS = {"ratio": "ModelRatio", "completion": "CompletionRatio", "price": "ModelPrice"}


def _number_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return f"{Decimal(str(value)).normalize():f}"


def _overlay(key: str) -> dict[str, Any]:
    try:
        value = orjson.loads(options.get(key) or "{}")
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def is_unpriced(row: dict[str, str]) -> bool:
    """Served by a channel, with neither a ratio nor a price (entered or built in)."""
    return bool(row["used"]) and not any(row[k].strip() for k in ("ratio", "price", "builtin"))


def build_rows(overlays: dict[str, dict[str, Any]], used: set[str], builtin: dict[str, str]) -> list[dict[str, str]]:
    """One row per model that has an entry or is served by a channel; unpriced models first.
    `builtin` is the built-in price of a model as a short text ("" when it has none)."""
    names = sorted(used.union(*(o.keys() for o in overlays.values())))
    rows = []
    for name in names:
        row = {field: _number_text(overlays[key].get(name)) for field, key in COLUMNS.items()}
        row.update(model=name, used="1" if name in used else "", builtin=builtin.get(name, ""))
        row["unpriced"] = "1" if is_unpriced(row) else ""
        row["flagged"] = row["unpriced"]  # as loaded: the filter keeps a row while its price is typed
        rows.append(row)
    return sorted(rows, key=lambda r: (not r["unpriced"], r["model"]))


def _builtin_text(name: str) -> str:
    price = ratios.model_price(name)
    if price is not None:
        return f"${_number_text(price)}"
    ratio = ratios.model_ratio(name)
    return f"×{_number_text(ratio)}" if ratio is not None else ""


def _read() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    overlays = {key: _overlay(key) for key in COLUMNS.values()}
    used = set(pricing.enabled_groups_by_model())
    # A model's built-in price, as if the admin had entered nothing (the overlay is checked apart).
    builtin = {}
    for name in used:
        if not any(name in o for o in overlays.values()):
            builtin[name] = _builtin_text(name)
        else:
            builtin[name] = _builtin_default(name)
    groups = [{"group": g, "ratio": _number_text(v)} for g, v in sorted(_overlay("GroupRatio").items())]
    return build_rows(overlays, used, builtin), groups


def _builtin_default(name: str) -> str:
    """The built-in entry of a model the admin has an entry for (shown as the fallback)."""
    for key, prefix in (("ModelPrice", "$"), ("ModelRatio", "×")):
        value = ratios.default_map(key).get(name)
        if value is not None:
            return f"{prefix}{_number_text(value)}"
    return ""


def _number(text: str, name: str) -> int | float:
    """A cell as a JSON number; ValueError names the row (a model or group) when it is not one >= 0."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ValueError(name) from exc
    if not value.is_finite() or value < 0:
        raise ValueError(name)
    return int(value) if value == value.to_integral_value() else float(value)


def to_json(rows: list[dict[str, str]], field: str) -> str:
    """The option value for one column: the non-empty cells."""
    return orjson.dumps({r["model"]: _number(r[field], r["model"]) for r in rows if r[field].strip()}).decode()


def groups_json(groups: list[dict[str, str]]) -> str:
    return orjson.dumps({g["group"]: _number(g["ratio"], g["group"]) for g in groups}).decode()


class RatioTableState(AuthState):
    rows: list[dict[str, str]] = []
    groups: list[dict[str, str]] = []
    search: str = ""
    only_unpriced: bool = False
    new_model: str = ""
    new_group: str = ""
    error: str = ""
    busy: bool = False

    @rx.var
    def shown(self) -> list[dict[str, str]]:
        needle = self.search.strip().lower()
        return [r for r in self.rows if (not needle or needle in r["model"].lower())
                and (not self.only_unpriced or r["flagged"])]

    @rx.var
    def unpriced_count(self) -> int:
        return sum(1 for r in self.rows if r["unpriced"])

    async def _reload(self) -> None:
        self.rows, self.groups = await backend_bridge.call(_read)
        self.error = ""

    @rx.event
    async def load(self):  # noqa: ANN201
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        await self._reload()
        return None

    @rx.event
    def set_search(self, value: str) -> None:
        self.search = value

    @rx.event
    def set_only_unpriced(self, value: bool) -> None:
        self.only_unpriced = bool(value)

    @rx.event
    def set_cell(self, model: str, field: str, value: str) -> None:
        if field not in COLUMNS:
            return
        rows = []
        for r in self.rows:
            if r["model"] == model:
                r = {**r, field: value}
                r["unpriced"] = "1" if is_unpriced(r) else ""
            rows.append(r)
        self.rows = rows

    @rx.event
    def set_new_model(self, value: str) -> None:
        self.new_model = value

    @rx.event
    def add_model(self) -> None:
        name = self.new_model.strip()
        if name and all(r["model"] != name for r in self.rows):
            row = {"model": name, "ratio": "", "completion": "", "price": "", "used": "", "builtin": "",
                   "unpriced": "", "flagged": ""}
            self.rows = [row, *self.rows]
        self.new_model = ""

    @rx.event
    def set_group_ratio(self, group: str, value: str) -> None:
        self.groups = [{**g, "ratio": value} if g["group"] == group else g for g in self.groups]

    @rx.event
    def remove_group(self, group: str) -> None:
        self.groups = [g for g in self.groups if g["group"] != group]

    @rx.event
    def set_new_group(self, value: str) -> None:
        self.new_group = value

    @rx.event
    def add_group(self) -> None:
        name = self.new_group.strip()
        if name and all(g["group"] != name for g in self.groups):
            self.groups = [*self.groups, {"group": name, "ratio": "1"}]
        self.new_group = ""

    @rx.event
    async def save(self):  # noqa: ANN201
        user, away = await self._require(Role.ROOT)
        if user is None:
            return away
        try:
            values = {key: to_json(self.rows, field) for field, key in COLUMNS.items()}
            values["GroupRatio"] = groups_json(self.groups)
        except ValueError as exc:
            self.error = self.tr("Enter a number of at least 0 for {model}").format(model=exc.args[0])
            return None
        self.busy = True
        try:
            for key, value in values.items():
                await backend_bridge.call(option_rules.save, key, value)
        except ServiceError as exc:
            self.error = self.tr_error(exc)
            return None
        finally:
            self.busy = False
        await self._reload()
        settings = await self.get_state(AdminSettingsState)
        await settings._refresh()  # the raw JSON editors show what was just saved
        return rx.toast.success(self.tr("Prices saved"))
