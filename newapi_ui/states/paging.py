"""Server-side paging shared by every console table: the page's rows are fetched from a service
(1-based `p`, `page_size`, like the management API), kept server-side raw, and shown formatted
for the current language."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx
from reflex.vars.base import ComputedVar

from backend.models import User
from backend.models.enums import Role
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge

PAGE_SIZES = ("10", "20", "50", "100")


def typed_rows(row_type: type) -> ComputedVar:
    """The `rows` var of a table whose `_format` returns `row_type` (a dataclass), declared in
    the state's body as `rows = typed_rows(ChannelRow)`: the page then reads `row.name`, checked
    by Reflex, instead of string keys into a dict."""

    def rows(self: Any) -> list:
        return [self._format(r) for r in self._raw_rows]

    rows.__annotations__["return"] = list[row_type]  # the var's type, read by Reflex
    return rx.var(rows, cache=False)


class PagedState(rx.State, mixin=True):
    """Mixed into a page state next to AuthState: `class TokensState(PagedState, AuthState)`.
    A mixin, because Reflex binds inherited handlers to the class that defines them, while each
    table needs its own handlers and rows. Subclasses set `min_role` and implement `_fetch`
    (runs in a worker thread) and `_format`."""

    min_role: ClassVar[int] = Role.COMMON
    page: int = 1
    page_size: int = 10
    total: int = 0
    loading: bool = False
    selected: list[str] = []  # row ids ticked for a batch action (tables that offer one)
    _raw_rows: list[dict[str, Any]] = []

    def _fetch(self, user: User, p: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        raise TypeError(f"{type(self).__name__} must implement _fetch")

    def _format(self, row: dict[str, Any]) -> dict[str, str]:
        return {k: str(v) for k, v in row.items()}

    @rx.var(cache=False)
    def rows(self) -> list[dict[str, str]]:
        return [self._format(r) for r in self._raw_rows]

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @rx.var
    def page_size_text(self) -> str:
        return str(self.page_size)

    async def _load(self):  # noqa: ANN202
        user = await self.current_user(self.min_role)
        if user is None:
            self._raw_rows, self.total = [], 0
            return self._to_login()
        self.loading = True
        try:
            rows, total = await backend_bridge.call(self._fetch, user, self.page, self.page_size)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        finally:
            self.loading = False
        self._raw_rows, self.total = rows, total
        if not rows and self.page > 1 and total:
            self.page = self.page_count
            return await self._load()
        return None

    @rx.event
    def toggle_selected(self, row_id: str) -> None:
        if row_id in self.selected:
            self.selected = [i for i in self.selected if i != row_id]
        else:
            self.selected = [*self.selected, row_id]

    @rx.event
    def toggle_all(self, checked: bool) -> None:
        self.selected = [str(r["id"]) for r in self._raw_rows] if checked else []

    @rx.event
    async def load(self):  # noqa: ANN201
        return await self._load()

    @rx.event
    async def go_to(self, page: int):  # noqa: ANN201
        self.page = min(max(1, int(page)), self.page_count)
        return await self._load()

    @rx.event
    async def next_page(self):  # noqa: ANN201
        return await self.go_to(self.page + 1)

    @rx.event
    async def prev_page(self):  # noqa: ANN201
        return await self.go_to(self.page - 1)

    @rx.event
    async def set_page_size(self, size: str):  # noqa: ANN201
        if size in PAGE_SIZES:
            self.page_size, self.page = int(size), 1
        return await self._load()
