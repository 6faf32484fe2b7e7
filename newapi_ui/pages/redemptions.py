"""/redemption (admins): redemption codes; generated keys are shown once with copy and CSV download."""

import reflex as rx

from newapi_ui.components.admin_table import action_table, icon_action
from newapi_ui.components.confirm import confirm_dialog
from newapi_ui.components.forms import field
from newapi_ui.components.stats import labelled
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
    return rx.form(
        rx.flex(
            labelled(N_("Search"), rx.input(name="keyword", id="r-keyword", placeholder=_("ID, name or code"))),
            rx.button(rx.icon("search", size=16), _("Search"), type="submit", id="r-search"),
            rx.spacer(),
            rx.button(rx.icon("plus", size=16), _("Generate codes"), on_click=S.set_create_open(True), type="button",
                      id="r-add"),
            rx.button(rx.icon("trash-2", size=16), _("Delete invalid"), on_click=S.ask_delete_invalid, type="button",
                      variant="soft", color_scheme="red", id="r-delete-invalid"),
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
        icon_action("copy", N_("Copy"), S.copy_one(row["key"]), "r-copy-" + rid),
        rx.cond(
            row["state"] == "1",
            icon_action("ban", N_("Disable"), S.set_status(row["id"], False), "r-disable-" + rid, color="amber"),
            icon_action("circle-check", N_("Enable"), S.set_status(row["id"], True), "r-enable-" + rid,
                        color="green", disabled=row["state"] != "2"),
        ),
        icon_action("trash-2", N_("Delete"), S.ask_delete(row["id"], row["name"]), "r-delete-" + rid, color="red"),
    )


def _create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Generate codes")),
            rx.form(
                rx.vstack(
                    field(N_("Name"), "name", required=True, hint=N_("1 to 20 characters")),
                    labelled(N_("Quota of each code"), rx.hstack(
                        rx.input(name="quota", id="quota", required=True, flex="1"),
                        rx.segmented_control.root(
                            rx.segmented_control.item(_("Money"), value="money", id="r-unit-money"),
                            rx.segmented_control.item(_("Tokens"), value="tokens", id="r-unit-tokens"),
                            value=S.quota_unit,
                            on_change=S.set_quota_unit,
                        ),
                        width="100%",
                    )),
                    field(N_("How many"), "count", type="number", default="1", hint=N_("At most 100 at a time")),
                    rx.cond(S.form_error != "", rx.callout(S.form_error, icon="triangle-alert", color_scheme="red",
                                                           id="r-form-error", width="100%")),
                    rx.hstack(
                        rx.dialog.close(rx.button(_("Cancel"), variant="soft", color_scheme="gray", type="button")),
                        rx.button(_("Generate"), type="submit", loading=S.busy, id="r-create-save"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.create,
                reset_on_submit=False,
            ),
            max_width="28em",
        ),
        open=S.create_open,
        on_open_change=S.set_create_open,
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
                                           variant="ghost", aria_label="copy"),
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


@template("/redemption", "Redemption codes", on_load=S.on_load)
def redemptions_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Redemption codes"), size="6"),
        _toolbar(),
        action_table(S, COLUMNS, "redemptions-table", _actions),
        _create_dialog(),
        _keys_dialog(),
        confirm_dialog(S.confirm_open, S.confirm_message, S.confirm, S.cancel_confirm, "r-confirm"),
        spacing="4",
        width="100%",
    )
