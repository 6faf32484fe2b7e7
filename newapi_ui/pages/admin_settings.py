"""/admin/settings (root only): instance settings in tabs; secrets are write-only ("set" / "not set")."""

import reflex as rx

from newapi_ui.components.custom_oauth_admin import custom_oauth_block
from newapi_ui.components.json_editor import json_editor
from newapi_ui.components.ratio_table import ratio_table
from newapi_ui.i18n import _
from newapi_ui.states.admin_settings import AdminSettingsState as S
from newapi_ui.states.settings_catalog import DEFAULTABLE, TAB_LABELS, TABS, Opt, Section
from newapi_ui.template import template


def _label(opt: Opt, element_id: str) -> rx.Component:
    return rx.text(_(opt.label), as_="label", html_for=element_id, size="2", weight="medium")


def _hint(opt: Opt) -> list[rx.Component]:
    return [rx.text(_(opt.hint), size="1", color_scheme="gray")] if opt.hint else []


def _error(key: str, element_id: str) -> rx.Component:
    err = S.errors[key].to(str)
    return rx.cond(err != "", rx.text(err, size="1", color_scheme="red", id=f"{element_id}-error"))


def _control(opt: Opt) -> rx.Component:
    element_id = "opt-" + opt.key.replace(".", "-")
    value = S.values[opt.key].to(str)
    if opt.kind == "json":
        editor = json_editor(opt.label, value, lambda v: S.set_value(opt.key, v), S.errors[opt.key].to(str),
                             element_id, hint=opt.hint, rows=8)
        if opt.key in DEFAULTABLE:
            return rx.vstack(editor, rx.button(_("Load built-in defaults"), on_click=S.load_default(opt.key),
                                               variant="soft", size="1", id=f"{element_id}-defaults"), width="100%")
        return editor
    if opt.kind == "bool":
        control = rx.hstack(rx.switch(checked=value == "true", on_change=lambda v: S.set_flag(opt.key, v),
                                      id=element_id),
                            _label(opt, element_id), align="center")
        return rx.vstack(control, *_hint(opt), _error(opt.key, element_id), spacing="1", width="100%")
    if opt.kind == "textarea":
        box = rx.text_area(value=value, on_change=lambda v: S.set_value(opt.key, v), id=element_id, rows="4",
                           width="100%")
    elif opt.kind == "select":
        box = rx.select(list(opt.choices), value=value, on_change=lambda v: S.set_value(opt.key, v), id=element_id)
    else:
        box = rx.input(value=value, on_change=lambda v: S.set_value(opt.key, v), id=element_id, width="100%",
                       type="number" if opt.kind == "number" else "text")
    return rx.vstack(_label(opt, element_id), box, *_hint(opt), _error(opt.key, element_id), spacing="1",
                     width="100%")


def _secret(opt: Opt) -> rx.Component:
    element_id = "secret-" + opt.key.replace(".", "-")
    return rx.vstack(
        rx.hstack(
            _label(opt, element_id),
            rx.cond(S.secret_set[opt.key], rx.badge(_("set"), color_scheme="green", id=f"{element_id}-state"),
                    rx.badge(_("not set"), color_scheme="gray", id=f"{element_id}-state")),
            align="center",
        ),
        rx.input(value=S.secret_input[opt.key].to(str), on_change=lambda v: S.set_secret(opt.key, v), id=element_id,
                 type="password", auto_complete="new-password", placeholder=_("Leave blank to keep the current value"),
                 width="100%"),
        _error(opt.key, element_id),
        spacing="1",
        width="100%",
    )


def _section(section: Section) -> list[rx.Component]:
    grid_kinds = ("text", "number", "bool", "select", "secret")
    small = [o for o in section.opts if o.kind in grid_kinds]
    large = [o for o in section.opts if o.kind not in grid_kinds]
    parts = [rx.heading(_(section.title), size="3")] if section.title else []
    if small:
        parts.append(rx.grid(*[_secret(o) if o.kind == "secret" else _control(o) for o in small],
                             columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"))
    return parts + [_control(o) for o in large]


def _tab(name: str, extra: tuple[rx.Component, ...] = ()) -> rx.Component:
    parts = [part for section in TABS[name] for part in _section(section)]
    if parts:
        parts.append(rx.button(rx.icon("save", size=16), _("Save"), on_click=S.save, loading=S.saving,
                               id=f"save-{name}"))
    return rx.tabs.content(rx.vstack(*parts, *extra, spacing="4", width="100%", padding_top="1em"), value=name)


# Blocks below a tab's own options, with a state of their own.
EXTRAS = {"oauth": (custom_oauth_block(),), "pricing": (ratio_table(),)}


@template("/admin/settings", "Settings", on_load=S.on_load)
def admin_settings_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Settings"), size="6"),
        rx.tabs.root(
            rx.tabs.list(*[rx.tabs.trigger(_(label), value=key, id=f"tab-{key}") for key, label in TAB_LABELS.items()],
                         size="1", wrap="wrap"),
            *[_tab(name, EXTRAS.get(name, ())) for name in TABS],
            value=S.tab,
            on_change=S.set_tab,
            width="100%",
        ),
        spacing="4",
        width="100%",
    )
