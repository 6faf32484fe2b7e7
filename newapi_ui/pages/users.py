"""/user (admins): accounts, with search, create, edit (quota as money or tokens) and the role actions."""

import reflex as rx

from newapi_ui.components.admin_table import action_table, icon_action
from newapi_ui.components.confirm import confirm_dialog
from newapi_ui.components.forms import field
from newapi_ui.components.stats import labelled
from newapi_ui.components.user_security import security_dialog, twofa_stats
from newapi_ui.i18n import N_, _
from newapi_ui.states.user_security import UserSecurityState
from newapi_ui.states.users import UsersState as S
from newapi_ui.template import template

COLUMNS = [
    ("id", N_("ID")),
    ("username", N_("Username")),
    ("display_name", N_("Display name")),
    ("role", N_("Role")),
    ("status", N_("Status")),
    ("group", N_("Group")),
    ("quota", N_("Balance")),
    ("used", N_("Used")),
    ("requests", N_("Requests")),
]


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            labelled(N_("Search"), rx.input(name="keyword", id="u-keyword",
                                            placeholder=_("ID, username, email or display name"))),
            labelled(N_("Group"), rx.input(name="group", id="u-filter-group")),
            rx.button(rx.icon("search", size=16), _("Search"), type="submit", id="u-search"),
            rx.spacer(),
            rx.button(rx.icon("user-plus", size=16), _("Add user"), on_click=S.set_create_open(True), type="button",
                      id="u-add"),
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
        icon_action("pencil", N_("Edit"), S.open_edit(row["id"]), "u-edit-" + rid),
        icon_action("shield", N_("Sign-in & security"), UserSecurityState.show(row["id"]), "u-security-" + rid),
        rx.cond(
            row["enabled"] == "1",
            icon_action("ban", N_("Disable"), S.manage(row["id"], "disable"), "u-disable-" + rid, color="amber"),
            icon_action("circle-check", N_("Enable"), S.manage(row["id"], "enable"), "u-enable-" + rid,
                        color="green"),
        ),
        icon_action("arrow-up", N_("Promote"), S.manage(row["id"], "promote"), "u-promote-" + rid),
        icon_action("arrow-down", N_("Demote"), S.manage(row["id"], "demote"), "u-demote-" + rid),
        icon_action("trash-2", N_("Delete"), S.ask_delete(row["id"], row["username"]), "u-delete-" + rid,
                    color="red"),
    )


def _error() -> rx.Component:
    return rx.cond(S.form_error != "", rx.callout(S.form_error, icon="triangle-alert", color_scheme="red",
                                                  id="u-form-error", width="100%"))


def _buttons(save_id: str) -> rx.Component:
    return rx.hstack(
        rx.dialog.close(rx.button(_("Cancel"), variant="soft", color_scheme="gray", type="button")),
        rx.button(_("Save"), type="submit", loading=S.busy, id=save_id),
        justify="end",
        width="100%",
    )


def _create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Add user")),
            rx.form(
                rx.vstack(
                    field(N_("Username"), "username", required=True),
                    field(N_("Display name"), "display_name"),
                    field(N_("Password"), "password", type="password", required=True, autocomplete="new-password",
                          hint=N_("8 to 20 characters")),
                    rx.cond(S.is_root, rx.hstack(rx.checkbox(name="role", value="admin", id="u-new-admin"),
                                                 rx.text(_("Administrator"), size="2"), align="center")),
                    _error(),
                    _buttons("u-create-save"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.create,
                reset_on_submit=False,
                id="u-create-form",
            ),
            max_width="28em",
        ),
        open=S.create_open,
        on_open_change=S.set_create_open,
    )


def _edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Edit user"), " ", S.edit_username),
            rx.form(
                rx.vstack(
                    labelled(N_("Display name"), rx.input(name="display_name", id="u-display-name", width="100%",
                                                          default_value=S.edit_display_name, key=S.edit_id)),
                    labelled(N_("Group"), rx.select(S.all_groups, value=S.edit_group, on_change=S.set_edit_group,
                                                    id="u-group")),
                    labelled(N_("Quota"), rx.hstack(
                        rx.input(value=S.edit_quota, on_change=S.set_edit_quota, name="quota_text", id="u-quota", flex="1"),
                        rx.segmented_control.root(
                            rx.segmented_control.item(_("Money"), value="money", id="u-unit-money"),
                            rx.segmented_control.item(_("Tokens"), value="tokens", id="u-unit-tokens"),
                            value=S.quota_unit,
                            on_change=S.set_quota_unit,
                        ),
                        width="100%",
                    )),
                    labelled(N_("New password"), rx.input(name="password", type="password", id="u-password",
                                                          placeholder=_("Leave empty to keep the password"),
                                                          auto_complete="new-password", width="100%")),
                    _error(),
                    _buttons("u-edit-save"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_edit,
                reset_on_submit=False,
                id="u-edit-form",
            ),
            max_width="28em",
        ),
        open=S.edit_open,
        on_open_change=S.set_edit_open,
    )


@template("/user", "Users", on_load=S.on_load)
def users_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Users"), size="6"),
        twofa_stats(),
        _filters(),
        action_table(S, COLUMNS, "users-table", _actions),
        _create_dialog(),
        _edit_dialog(),
        security_dialog(),
        confirm_dialog(S.confirm_open, S.confirm_message, S.confirm, S.cancel_confirm, "u-confirm"),
        spacing="4",
        width="100%",
    )
