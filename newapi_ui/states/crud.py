"""What every table page with row actions does the same way: open (guard, then load), search from
the toolbar's form, run a service call as the re-checked user and reload, and ask before a
destructive action. The page state names its own pieces; the flow is written once here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import reflex as rx

from backend.models import User
from backend.services.errors import ServiceError
from newapi_ui import backend_bridge
from newapi_ui.i18n import N_


class CrudState(rx.State, mixin=True):
    """Mixed in first: `class ChannelsState(CrudState, PagedState, AuthState)`. A mixin, like
    PagedState, so each page gets its own handlers.

    - `search_fields` maps the toolbar form's input names to the state vars they filter by;
    - `_prepare(user)` runs once the page is opened (choices for the filters and dialogs);
    - `_ask(action, message, *args)` opens the confirmation; "yes" calls `_confirmed(action, *args)`.
    """

    search_fields: ClassVar[dict[str, str]] = {}
    confirm_open: bool = False
    confirm_message: str = ""
    _pending: list[Any] = []  # [action, *args] awaiting the confirmation

    async def _prepare(self, user: User) -> None:
        """Before the first load; nothing by default."""

    async def _confirmed(self, action: str, *args: Any) -> Any:
        raise TypeError(f"{type(self).__name__} asked for {action!r} but does not carry it out")

    @rx.event
    async def open_page(self):  # noqa: ANN201
        """The page's on_load: setup check and role gate, then the first page of rows."""
        user, away = await self._admit(self.min_role)
        if user is None:
            return away
        self.confirm_open, self._pending = False, []
        await self._prepare(user)
        return await self._load()

    @rx.event
    async def search(self, form: dict):  # noqa: ANN201
        for name, attr in self.search_fields.items():
            setattr(self, attr, str(form.get(name, "") or "").strip())
        self.page, self.selected = 1, []
        return await self._load()

    async def _reloaded(self, *events: Any) -> list[Any]:
        """`events`, then the table reloaded (or the way out, if the user lost the right meanwhile)."""
        reload = await self._load()
        return [*events, *([reload] if reload else [])]

    async def _act(self, fn: Callable[..., Any], *args: Any, done: str | Callable[[Any], str] = N_("Saved"),
                   actor: bool = False, **kwargs: Any) -> Any:
        """Run a service call as the re-checked user, toast the outcome, reload the table.
        `actor`: the service judges the user itself (`fn(user, *args)`). `done` is a msgid, given
        the result as `{count}` when it is a number, or a function of the result."""
        user, away = await self._require(self.min_role)
        if user is None:
            return away
        try:
            result = await backend_bridge.call(fn, *((user,) if actor else ()), *args, **kwargs)
        except ServiceError as exc:
            return rx.toast.error(self.tr_error(exc))
        if callable(done):
            text = done(result)
        else:
            text = self.tr(done).format(count=result if isinstance(result, int) else 0)
        return await self._reloaded(rx.toast.success(text))

    def _ask(self, action: str, message: str, *args: Any) -> None:
        self._pending = [action, *args]
        self.confirm_message = message
        self.confirm_open = True

    @rx.event
    def cancel_confirm(self) -> None:
        self.confirm_open, self._pending = False, []

    @rx.event
    async def confirm(self):  # noqa: ANN201
        pending, self._pending, self.confirm_open = self._pending, [], False
        if not pending:
            return None
        return await self._confirmed(pending[0], *pending[1:])
