"""/redemption (admins): redemption codes; generated keys are shown once with copy and CSV download."""

import reflex as rx

from newapi_ui.components.crud import crud_page, form_dialog, search_bar
from newapi_ui.components.forms import field, labelled, quota_input
from newapi_ui.components.table import data_table, icon_action
from newapi_ui.i18n import N_, _
from newapi_ui.states.redemptions import RedemptionsState as S
from newapi_ui.template import template

COLUMNS = [
    ("id", N_("ID")),
    ("name", N_("Name")),
    ("key", N_("Code")),
    ("status", N_("Status")),
    ("quota", N_("Quota")),
    ("created", N_("Created")),
    ("redeemed", N_("Redeemed")),
    ("used_by", N_("Redeemed by")),
    ("expires", N_("Expires")),
]


def _toolbar() -> rx.Component:
    return search_bar(
        S, "r",
        labelled(N_("Search"), rx.input(name="keyword", id="r-keyword", placeholder=_("ID, name or code"))),
        buttons=(
            rx.button(rx.icon("plus", size=16), _("Generate codes"), on_click=S.set_create_open(True), type="button",
                      id="r-add"),
            rx.button(rx.icon("trash-2", size=16), _("Delete invalid"), on_click=S.ask_delete_invalid, type="button",
                      variant="soft", color_scheme="red", id="r-delete-invalid"),
        ),
    )


def _actions(row: rx.Var) -> rx.Component:
    return rx.fragment(
        icon_action("copy", N_("Copy"), S.copy_one(row.key), "r-copy-" + row.id),
        rx.cond(
            row.state == "1",
            icon_action("ban", N_("Disable"), S.set_status(row.id, False), "r-disable-" + row.id, color="amber"),
            icon_action("circle-check", N_("Enable"), S.set_status(row.id, True), "r-enable-" + row.id,
                        color="green", disabled=row.state != "2"),
        ),
        icon_action("trash-2", N_("Delete"), S.ask_delete(row.id, row.name), "r-delete-" + row.id, color="red"),
    )


def _create_dialog() -> rx.Component:
    return form_dialog(
        N_("Generate codes"),
        field(N_("Name"), "name", required=True, hint=N_("1 to 20 characters"), max_length=20),
        labelled(N_("Quota of each code"), quota_input(rx.input(name="quota", id="quota", required=True, flex="1"),
                                                       S.quota_unit, S.set_quota_unit, "r")),
        field(N_("How many"), "count", type="number", default="1", hint=N_("At most 100 at a time")),
        open_=S.create_open, on_open_change=S.set_create_open, error=S.form_error, error_id="r-form-error",
        save=rx.button(_("Generate"), type="submit", loading=S.busy, id="r-create-save"), on_submit=S.create,
    )


def _keys_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("New codes")),
            rx.vstack(
                rx.callout(_("Copy or download the codes now."), icon="info", width="100%"),
                rx.scroll_area(
                    rx.vstack(
                        rx.foreach(S.new_keys, lambda k: rx.hstack(
                            rx.code(k, class_name="new-key"),
                            rx.icon_button(rx.icon("copy", size=14), on_click=S.copy_one(k), size="1",
                                           variant="ghost", aria_label=_("Copy")),
                            align="center",
                        )),
                        spacing="1",
                        id="r-new-keys",
                    ),
                    max_height="18em",
                    type="auto",
                ),
                rx.hstack(
                    rx.button(rx.icon("copy", size=16), _("Copy all"), on_click=S.copy_all, variant="soft",
                              id="r-copy-all"),
                    rx.button(rx.icon("download", size=16), _("Download CSV"), on_click=S.download_csv,
                              variant="soft", id="r-download"),
                    rx.spacer(),
                    rx.dialog.close(rx.button(_("Close"), id="r-keys-close")),
                    width="100%",
                    wrap="wrap",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="36em",
        ),
        open=S.keys_open,
        on_open_change=S.close_keys,
    )


@template("/redemption", "Redemption codes", on_load=S.open_page)
def redemptions_page() -> rx.Component:
    return crud_page(
        N_("Redemption codes"), S, "r",
        _toolbar(),
        data_table(S, COLUMNS, "redemptions-table", actions=_actions),
        _create_dialog(),
        _keys_dialog(),
    )
