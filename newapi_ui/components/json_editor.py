"""A JSON text area whose parse or validation error shows right under it."""

from __future__ import annotations

import json

import reflex as rx

from newapi_ui.i18n import _


def json_problem(text: str, *, expect: type = dict) -> str:
    """English detail of why `text` is not a JSON value of type `expect` ('' when fine or empty);
    the caller translates the prefix. Checked before any service call, so nothing is saved."""
    if not text.strip():
        return ""
    try:
        value = json.loads(text)
    except ValueError as exc:
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}" if hasattr(exc, "lineno") else str(exc)
    if not isinstance(value, expect):
        return "object" if expect is dict else "array"
    return ""


def pretty(text: str) -> str:
    """Indent stored JSON for editing; anything unparsable is shown as stored."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False) if text and text.strip() else ""
    except ValueError:
        return text


def json_editor(label: str, value: rx.Var, on_change, error: rx.Var, editor_id: str,  # noqa: ANN001
                *, hint: str = "", rows: int = 5) -> rx.Component:
    """`label` and `hint` are msgids; `error` is the state's translated message for this field."""
    parts = [
        rx.text(_(label), as_="label", custom_attrs={"htmlFor": editor_id}, size="2", weight="medium"),
        rx.text_area(value=value, on_change=on_change, id=editor_id, rows=str(rows), width="100%",
                     font_family="monospace", spell_check=False,
                     color_scheme=rx.cond(error != "", "red", "gray"),
                     variant=rx.cond(error != "", "soft", "surface")),
    ]
    if hint:
        parts.append(rx.text(_(hint), size="1", color_scheme="gray"))
    parts.append(rx.cond(error != "", rx.text(error, size="1", color_scheme="red", id=f"{editor_id}-error")))
    return rx.vstack(*parts, spacing="1", width="100%")
