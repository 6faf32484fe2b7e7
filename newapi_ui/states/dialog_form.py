"""A dialog that creates or edits one record through a service: the open flag, the record's id (0:
new), its text fields, an on/off switch, the refusal shown in the dialog, and the save that calls
the service's create or update and closes on success. Mixed into page states next to AuthState."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from backend.services.errors import ServiceError
from newapi_ui import backend_bridge


class DialogForm(rx.State, mixin=True):
    dialog_open: bool = False
    edit_id: int = 0
    form: dict[str, str] = {}
    form_enabled: bool = False
    form_error: str = ""
    busy: bool = False

    def _open_form(self, edit_id: int, form: dict[str, str], enabled: bool) -> None:
        self.edit_id, self.form, self.form_enabled = edit_id, form, enabled
        self.form_error, self.dialog_open = "", True

    @rx.event
    def set_dialog_open(self, value: bool) -> None:
        self.dialog_open = bool(value)

    @rx.event
    def set_field(self, name: str, value: str) -> None:
        if name in self.form:
            self.form = {**self.form, name: value}

    @rx.event
    def set_form_enabled(self, value: bool) -> None:
        self.form_enabled = bool(value)

    async def _submit(self: Any, create: Callable[..., Any], update: Callable[..., Any], body: dict[str, Any]) -> bool:
        """`update(edit_id, body)` or `create(body)` in a worker thread; False (and the translated
        refusal in the dialog) when the service refuses."""
        self.busy = True
        try:
            if self.edit_id:
                await backend_bridge.call(update, self.edit_id, body)
            else:
                await backend_bridge.call(create, body)
        except ServiceError as exc:
            self.form_error = self.tr_error(exc)
            return False
        finally:
            self.busy = False
        self.dialog_open = False
        return True
