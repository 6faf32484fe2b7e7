"""/vendors (admins): the vendors model metadata points at."""

import reflex as rx

from newapi_ui.components.crud import confirm_dialog
from newapi_ui.components.forms import labelled
from newapi_ui.components.table import data_table, icon_action
from newapi_ui.i18n import N_, _
from newapi_ui.states.vendors import VendorsState as S
from newapi_ui.template import template

COLUMNS = [("id", N_("ID")), ("name", N_("Name")), ("description", N_("Description")), ("icon", N_("Icon")),
           ("models", N_("Models")), ("status", N_("Status"))]


def _toolbar() -> rx.Component:
    return rx.form(
        rx.flex(
            labelled(N_("Search"), rx.input(name="keyword", id="v-keyword", placeholder=_("Name or description"))),
            rx.button(rx.icon("search", size=16), _("Search"), type="submit", id="v-search"),
            rx.spacer(),
            rx.button(rx.icon("plus", size=16), _("Add vendor"), on_click=S.open_edit("0"), type="button",
                      id="v-add"),
            wrap="wrap",
            spacing="3",
            align="end",
            width="100%",
        ),
        on_submit=S.search,
        reset_on_submit=False,
        width="100%",
    )


def _actions(row: rx.Var) -> rx.Component:
    rid = row["id"].to(str)
    return rx.fragment(
        icon_action("pencil", N_("Edit"), S.open_edit(row["id"]), "v-edit-" + rid),
        icon_action("trash-2", N_("Delete"), S.ask_delete(row["id"], row["name"]), "v-delete-" + rid, color="red"),
    )


def _edit_dialog() -> rx.Component:
    def text(label: str, name: str) -> rx.Component:
        return labelled(label, rx.input(name=name, id=f"v-f-{name}", default_value=S.edit[name], width="100%"))

    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.edit_id == 0, _("Add vendor"), _("Edit vendor"))),
            rx.form(
                rx.vstack(
                    text(N_("Name"), "name"),
                    text(N_("Description"), "description"),
                    text(N_("Icon"), "icon"),
                    rx.hstack(rx.switch(name="status", id="v-f-status", default_checked=S.edit["status"] == "1"),
                              rx.text(_("Enabled"), as_="label", custom_attrs={"htmlFor": "v-f-status"}, size="2"),
                              align="center"),
                    rx.cond(S.form_error != "", rx.callout(S.form_error, icon="triangle-alert", color_scheme="red",
                                                           id="v-form-error", width="100%")),
                    rx.hstack(
                        rx.dialog.close(rx.button(_("Cancel"), variant="soft", color_scheme="gray", type="button")),
                        rx.button(_("Save"), type="submit", loading=S.busy, id="v-save"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save,
                reset_on_submit=False,
                key=S.edit_seq.to(str),
            ),
            max_width="28em",
        ),
        open=S.edit_open,
        on_open_change=S.set_edit_open,
    )


@template("/vendors", "Vendors", on_load=S.on_load)
def vendors_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Vendors"), size="6"),
        _toolbar(),
        data_table(S, COLUMNS, "vendors-table", actions=_actions),
        _edit_dialog(),
        confirm_dialog(S, "v"),
        spacing="4",
        width="100%",
    )
