"""/token: the user's API keys (masked), one server-side page at a time, with search, a create/edit
dialog, copy (reveals through the service), enable/disable, delete and batch delete."""

import reflex as rx

from newapi_ui.components.crud import crud_page, form_dialog, search_bar
from newapi_ui.components.forms import labelled, limit_note
from newapi_ui.components.table import data_table, empty_state, icon_action
from newapi_ui.i18n import N_, _
from newapi_ui.states.tokens import TokensState as S
from newapi_ui.template import template

NAME_LIMIT = 50  # new-api's limit on a key's name

COLUMNS = [
    ("name", N_("Name")),
    ("key", N_("Key")),
    ("status", N_("Status")),
    ("group", N_("Group")),
    ("used", N_("Used")),
    ("remaining", N_("Remaining")),
    ("created", N_("Created")),
    ("expires", N_("Expires")),
]


def _toolbar() -> rx.Component:
    return search_bar(
        S, "t",
        labelled(N_("Name"), rx.input(name="keyword", id="t-keyword", placeholder=_("Part of the name"))),
        labelled(N_("Key"), rx.input(name="key", id="t-key-filter", placeholder=_("Part of the key"))),
        buttons=(
            rx.button(rx.icon("trash-2", size=16), _("Delete selected"), " (", S.selected_count, ")",
                      on_click=S.ask_batch_delete, type="button", variant="soft", color_scheme="red",
                      disabled=S.selected_count == 0, id="t-batch-delete"),
            rx.button(rx.icon("plus", size=16), _("Add API key"), on_click=S.open_create, type="button", id="t-add"),
        ),
    )


def _actions(row: rx.Var) -> rx.Component:
    return rx.fragment(
        icon_action("copy", N_("Copy key"), S.copy_key(row.id), "t-copy-" + row.id),
        icon_action("pencil", N_("Edit"), S.open_edit(row.id), "t-edit-" + row.id),
        rx.cond(
            row.enabled,
            icon_action("ban", N_("Disable"), S.set_enabled(row.id, False), "t-disable-" + row.id, color="amber"),
            icon_action("circle-check", N_("Enable"), S.set_enabled(row.id, True), "t-enable-" + row.id,
                        color="green"),
        ),
        icon_action("trash-2", N_("Delete"), S.ask_delete(row.id, row.name), "t-delete-" + row.id, color="red"),
    )


def _wide(label: str, control: rx.Component) -> rx.Component:
    return labelled(label, control, width="100%")


def _switch(label: str, flag: str, value: rx.Var, element_id: str) -> rx.Component:
    return rx.hstack(
        rx.switch(checked=value, on_change=lambda v: S.set_flag(flag, v), id=element_id),
        rx.text(_(label), as_="label", custom_attrs={"htmlFor": element_id}, size="2"),
        align="center",
    )


def _text(name: str, value: rx.Var, element_id: str, **props) -> rx.Component:  # noqa: ANN003
    return rx.input(value=value, on_change=lambda v: S.set_text(name, v), id=element_id, width="100%", **props)


def _form_dialog() -> rx.Component:
    return form_dialog(
        rx.cond(S.edit_id == 0, _("Add API key"), _("Edit API key")),
        _wide(N_("Name"), _text("f_name", S.f_name, "t-name", max_length=NAME_LIMIT)),
        limit_note(S.f_name, NAME_LIMIT, "t-name-limit"),
        _switch(N_("Unlimited quota"), "f_unlimited", S.f_unlimited, "t-unlimited"),
        rx.cond(~S.f_unlimited, _wide(N_("Quota"), rx.hstack(
            _text("f_quota", S.f_quota, "t-quota", flex="1"),
            rx.text(rx.cond(S.quota_unit == "money", _("in money"), _("in quota units")), size="2",
                    color_scheme="gray"),
            align="center",
            width="100%",
        ))),
        _switch(N_("Never expires"), "f_never", S.f_never, "t-never"),
        rx.cond(~S.f_never, _wide(N_("Expires on"), _text("f_expiry", S.f_expiry, "t-expiry", type="date"))),
        _wide(N_("Group"), rx.select.root(
            rx.select.trigger(id="t-group", width="100%"),
            rx.select.content(rx.foreach(S.group_options, lambda g: rx.select.item(g[1], value=g[0]))),
            value=S.f_group,
            on_change=S.set_group,
        )),
        _switch(N_("Limit the models this key may use"), "f_limits_on", S.f_limits_on, "t-limits"),
        rx.cond(S.f_limits_on, rx.vstack(
            rx.text_area(value=S.f_models, on_change=lambda v: S.set_text("f_models", v), id="t-models",
                         placeholder=_("Model names, comma-separated"), width="100%", rows="2"),
            rx.flex(rx.foreach(S.model_options, lambda m: rx.badge(
                rx.icon("plus", size=12), m, on_click=S.add_model(m), variant="soft", cursor="pointer")),
                wrap="wrap", spacing="1", id="t-model-options"),
            spacing="2",
            width="100%",
        )),
        _wide(N_("Allowed IPs"), rx.text_area(
            value=S.f_ips, on_change=lambda v: S.set_text("f_ips", v), id="t-ips", width="100%", rows="2",
            placeholder=_("One IP or CIDR a line; empty allows any"))),
        open_=S.form_open, on_open_change=S.set_form_open, error=S.form_error, error_id="t-form-error",
        save=rx.button(_("Save"), on_click=S.save, loading=S.busy, id="t-save"), max_width="32em",
    )


def _key_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Your API key")),
            rx.vstack(
                rx.callout(_("The key has been copied. Keep it secret."), icon="info", width="100%"),
                rx.code(S.revealed_key, id="t-key-value", word_break="break-all"),
                rx.hstack(
                    rx.button(rx.icon("copy", size=16), _("Copy"), on_click=rx.set_clipboard(S.revealed_key),
                              variant="soft"),
                    rx.dialog.close(rx.button(_("Close"), id="t-key-close")),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="36em",
        ),
        open=S.key_open,
        on_open_change=S.set_key_open,
    )


@template("/token", "API keys", on_load=S.open_page)
def tokens_page() -> rx.Component:
    return crud_page(
        N_("API keys"), S, "t",
        _toolbar(),
        data_table(S, COLUMNS, "tokens-table", actions=_actions, select=(S.selected, S.toggle_selected, S.toggle_all),
                   empty=empty_state(N_("No API keys yet"), N_("Add API key"), S.open_create, "t-add-empty")),
        _form_dialog(),
        _key_dialog(),
    )
