"""/prefill_groups (admins): reusable lists of models, tags or endpoints."""

import reflex as rx

from newapi_ui.components.admin_table import action_table, icon_action
from newapi_ui.components.confirm import confirm_dialog
from newapi_ui.components.stats import labelled
from newapi_ui.i18n import N_, _
from newapi_ui.states.prefill_groups import ALL, TYPE_LABELS
from newapi_ui.states.prefill_groups import PrefillGroupsState as S
from newapi_ui.template import template

COLUMNS = [("id", N_("ID")), ("name", N_("Name")), ("type", N_("Type")), ("count", N_("Items")),
           ("items", N_("Contents")), ("description", N_("Description")), ("updated", N_("Updated"))]


def _type_select(value: rx.Var, on_change, element_id: str, *, with_all: bool) -> rx.Component:  # noqa: ANN001
    items = [rx.select.item(_(label), value=key) for key, label in TYPE_LABELS.items()]
    if with_all:
        items.insert(0, rx.select.item(_("All"), value=ALL))
    return rx.select.root(rx.select.trigger(id=element_id, min_width="9em"), rx.select.content(*items), value=value,
                          on_change=on_change)


def _toolbar() -> rx.Component:
    return rx.flex(
        labelled(N_("Type"), _type_select(S.type_filter, S.set_type_filter, "pg-filter", with_all=True)),
        rx.spacer(),
        rx.button(rx.icon("plus", size=16), _("Add group"), on_click=S.open_edit("0"), id="pg-add"),
        align="end",
        width="100%",
        wrap="wrap",
    )


def _actions(row: rx.Var) -> rx.Component:
    rid = row["id"].to(str)
    return rx.fragment(
        icon_action("pencil", N_("Edit"), S.open_edit(row["id"]), "pg-edit-" + rid),
        icon_action("trash-2", N_("Delete"), S.ask_delete(row["id"], row["name"]), "pg-delete-" + rid, color="red"),
    )


def _edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.edit_id == 0, _("Add group"), _("Edit group"))),
            rx.form(
                rx.vstack(
                    labelled(N_("Name"), rx.input(name="name", id="pg-f-name", default_value=S.edit["name"],
                                                  width="100%")),
                    labelled(N_("Type"), _type_select(S.edit_type, S.set_edit_type, "pg-f-type", with_all=False)),
                    labelled(N_("Items (one per line or comma-separated)"), rx.text_area(
                        name="items", id="pg-f-items", default_value=S.edit["items"], rows="6", width="100%")),
                    labelled(N_("Description"), rx.input(name="description", id="pg-f-description",
                                                         default_value=S.edit["description"], width="100%")),
                    rx.cond(S.form_error != "", rx.callout(S.form_error, icon="triangle-alert", color_scheme="red",
                                                           id="pg-form-error", width="100%")),
                    rx.hstack(
                        rx.dialog.close(rx.button(_("Cancel"), variant="soft", color_scheme="gray", type="button")),
                        rx.button(_("Save"), type="submit", loading=S.busy, id="pg-save"),
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
            max_width="32em",
        ),
        open=S.edit_open,
        on_open_change=S.set_edit_open,
    )


@template("/prefill_groups", "Prefill groups", on_load=S.on_load)
def prefill_groups_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Prefill groups"), size="6"),
        _toolbar(),
        action_table(S, COLUMNS, "pg-table", _actions),
        _edit_dialog(),
        confirm_dialog(S.confirm_open, S.confirm_message, S.confirm, S.cancel_confirm, "pg-confirm"),
        spacing="4",
        width="100%",
    )
