"""/user (admins): accounts, with search, create, edit (quota as money or tokens) and the role actions."""

import reflex as rx

from newapi_ui.components.crud import crud_page, form_dialog, search_bar
from newapi_ui.components.forms import field, labelled, quota_input
from newapi_ui.components.table import data_table, icon_action
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


def _toolbar() -> rx.Component:
    return search_bar(
        S, "u",
        labelled(N_("Search"), rx.input(name="keyword", id="u-keyword",
                                        placeholder=_("ID, username, email or display name"))),
        labelled(N_("Group"), rx.input(name="group", id="u-filter-group")),
        buttons=(rx.button(rx.icon("user-plus", size=16), _("Add user"), on_click=S.set_create_open(True),
                           type="button", id="u-add"),),
    )


def _actions(row: rx.Var) -> rx.Component:
    """The root account can be edited, never disabled, promoted, demoted or deleted: those are not offered."""
    return rx.fragment(
        icon_action("pencil", N_("Edit"), S.open_edit(row.id), "u-edit-" + row.id),
        icon_action("shield", N_("Sign-in & security"), UserSecurityState.show(row.id), "u-security-" + row.id),
        rx.cond(
            row.is_root,
            rx.fragment(),
            rx.fragment(
                rx.cond(
                    row.enabled,
                    icon_action("ban", N_("Disable"), S.manage(row.id, "disable"), "u-disable-" + row.id,
                                color="amber"),
                    icon_action("circle-check", N_("Enable"), S.manage(row.id, "enable"), "u-enable-" + row.id,
                                color="green"),
                ),
                icon_action("arrow-up", N_("Promote"), S.manage(row.id, "promote"), "u-promote-" + row.id),
                icon_action("arrow-down", N_("Demote"), S.manage(row.id, "demote"), "u-demote-" + row.id),
                icon_action("trash-2", N_("Delete"), S.ask_delete(row.id, row.username), "u-delete-" + row.id,
                            color="red"),
            ),
        ),
    )


def _create_dialog() -> rx.Component:
    return form_dialog(
        N_("Add user"),
        field(N_("Username"), "username", required=True, max_length=20, hint=N_("1 to 20 characters")),
        field(N_("Display name"), "display_name", max_length=20, hint=N_("At most 20 characters")),
        field(N_("Password"), "password", type="password", required=True, autocomplete="new-password",
              hint=N_("8 to 20 characters")),
        rx.cond(S.is_root, rx.hstack(rx.checkbox(name="role", value="admin", id="u-new-admin"),
                                     rx.text(_("Administrator"), as_="label", custom_attrs={"htmlFor": "u-new-admin"}, size="2"),
                                     align="center")),
        open_=S.create_open, on_open_change=S.set_create_open, error=S.form_error, error_id="u-form-error",
        save=rx.button(_("Save"), type="submit", loading=S.busy, id="u-create-save"), on_submit=S.create,
    )


def _edit_dialog() -> rx.Component:
    return form_dialog(
        rx.fragment(_("Edit user"), " ", S.edit_username),
        labelled(N_("Display name"), rx.input(name="display_name", id="u-display-name", width="100%",
                                              default_value=S.edit_display_name, key=S.edit_id)),
        labelled(N_("Group"), rx.select(S.all_groups, value=S.edit_group, on_change=S.set_edit_group, id="u-group")),
        labelled(N_("Quota"), quota_input(
            rx.input(value=S.edit_quota, on_change=S.set_edit_quota, name="quota_text", id="u-quota", flex="1"),
            S.quota_unit, S.set_quota_unit, "u")),
        labelled(N_("New password"), rx.input(name="password", type="password", id="u-password",
                                              placeholder=_("Leave empty to keep the password"),
                                              auto_complete="new-password", width="100%")),
        open_=S.edit_open, on_open_change=S.set_edit_open, error=S.form_error, error_id="u-form-error",
        save=rx.button(_("Save"), type="submit", loading=S.busy, id="u-edit-save"), on_submit=S.save_edit,
    )


@template("/user", "Users", on_load=S.open_page)
def users_page() -> rx.Component:
    return crud_page(
        N_("Users"), S, "u",
        twofa_stats(),
        _toolbar(),
        data_table(S, COLUMNS, "users-table", actions=_actions),
        _create_dialog(),
        _edit_dialog(),
        security_dialog(),
    )
