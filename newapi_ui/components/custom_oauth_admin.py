"""The "Custom login providers" block of the Social login tab: a list with edit / delete, and the
form dialog (state: `states/custom_oauth_admin.py`)."""

from __future__ import annotations

import reflex as rx

from newapi_ui.components.crud import confirm_dialog
from newapi_ui.components.forms import bound_field, dialog_footer
from newapi_ui.components.table import icon_action
from newapi_ui.i18n import N_, _
from newapi_ui.states.custom_oauth_admin import AUTH_STYLES, TEXT_FIELDS
from newapi_ui.states.custom_oauth_admin import CustomOAuthState as S


def _row(p: rx.Var) -> rx.Component:
    pid = p["id"].to(str)
    return rx.table.row(
        rx.table.cell(p["name"]),
        rx.table.cell(rx.code(p["slug"])),
        rx.table.cell(p["kind"]),
        rx.table.cell(rx.cond(p["enabled"] == "1", rx.badge(_("On"), color_scheme="green"),
                              rx.badge(_("Off"), color_scheme="gray"))),
        rx.table.cell(rx.hstack(
            icon_action("pencil", N_("Edit"), S.open_edit(p["id"]), "coauth-edit-" + pid),
            icon_action("trash-2", N_("Delete"), S.ask_delete(p["id"], p["name"]), "coauth-delete-" + pid,
                        color="red"),
            spacing="1")),
        id="coauth-row-" + p["slug"].to(str),
    )


def _text(name: str, label: str, hint: str) -> rx.Component:
    return bound_field(label, f"coauth-{name}", S.form[name], lambda v: S.set_field(name, v), hint=hint)


def _dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.edit_id > 0, _("Edit login provider"), _("Add login provider"))),
            rx.vstack(
                rx.hstack(rx.switch(checked=S.form_enabled, on_change=S.set_form_enabled, id="coauth-enabled"),
                          rx.text(_("Enabled"), as_="label", custom_attrs={"htmlFor": "coauth-enabled"}, size="2"),
                          align="center"),
                rx.grid(*[_text(*f) for f in TEXT_FIELDS], columns=rx.breakpoints(initial="1", md="2"),
                        spacing="3", width="100%"),
                rx.button(rx.icon("search", size=14), _("Fill the endpoints from the discovery URL"),
                          on_click=S.discover, variant="soft", size="1", id="coauth-discover"),
                rx.vstack(
                    rx.hstack(rx.text(_("Client secret"), size="2", weight="medium"),
                              rx.cond(S.secret_set, rx.badge(_("set"), color_scheme="green"),
                                      rx.badge(_("not set"), color_scheme="gray")), align="center"),
                    rx.input(value=S.secret_input, on_change=S.set_secret_input, type="password",
                             auto_complete="new-password", placeholder=_("Leave blank to keep the current value"),
                             id="coauth-client_secret", width="100%"),
                    spacing="1", width="100%",
                ),
                rx.vstack(
                    rx.text(_("Client authentication"), size="2", weight="medium"),
                    rx.select.root(
                        rx.select.trigger(id="coauth-auth-style"),
                        rx.select.content(*[rx.select.item(_(label), value=v) for v, label in AUTH_STYLES.items()]),
                        value=S.auth_style, on_change=S.set_auth_style,
                    ),
                    spacing="1",
                ),
                dialog_footer(S.form_error, S.busy, S.save, "coauth"),
                spacing="3", width="100%",
            ),
            max_width="44em",
        ),
        open=S.dialog_open,
        on_open_change=S.set_dialog_open,
    )


def custom_oauth_block() -> rx.Component:
    return rx.vstack(
        rx.separator(size="4"),
        rx.hstack(
            rx.heading(_("Custom login providers"), as_="h2", size="3"),
            rx.spacer(),
            rx.button(rx.icon("plus", size=16), _("Add login provider"), on_click=S.open_new, variant="soft",
                      id="coauth-add"),
            width="100%", align="center",
        ),
        rx.cond(
            S.providers.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(_(h)) for h in (
                    N_("Name"), N_("Slug"), N_("Kind"), N_("Status"), N_("Actions"))])),
                rx.table.body(rx.foreach(S.providers, _row)),
                variant="surface", size="1", width="100%", id="coauth-table",
            ),
            rx.text(_("Nothing here yet"), color_scheme="gray", size="2"),
        ),
        _dialog(),
        confirm_dialog(S, "coauth", on_confirm=S.confirm_delete, on_cancel=S.cancel_delete),
        spacing="3", width="100%", on_mount=S.load,
    )
