"""/channel (admins): the channel table with search, filters, batch and tag actions, the type-aware
create/edit form, channel tests and balances."""

import reflex as rx

from newapi_ui.components import channel_tools
from newapi_ui.components.admin_table import action_table, icon_action
from newapi_ui.components.confirm import confirm_dialog
from newapi_ui.components.json_editor import json_editor
from newapi_ui.components.stats import labelled
from newapi_ui.i18n import N_, _
from newapi_ui.states.channels import TYPE_CHOICES
from newapi_ui.states.channels import ChannelsState as S
from newapi_ui.template import template

COLUMNS = [
    ("id", N_("ID")),
    ("name", N_("Name")),
    ("type", N_("Type")),
    ("status", N_("Status")),
    ("group", N_("Group")),
    ("models", N_("Models")),
    ("priority", N_("Priority")),
    ("weight", N_("Weight")),
    ("response_time", N_("Response time")),
    ("balance", N_("Balance")),
    ("used", N_("Used")),
    ("tag", N_("Tag")),
]
STATUS_FILTERS = [("all", N_("All")), ("enabled", N_("Enabled")), ("disabled", N_("Disabled")),
                  ("3", N_("Auto-disabled"))]


def _select(value: rx.Var, on_change, choices: list[tuple[str, rx.Var | str]], select_id: str) -> rx.Component:  # noqa: ANN001
    return rx.select.root(
        rx.select.trigger(id=select_id, min_width="9em"),
        rx.select.content(*[rx.select.item(label, value=v) for v, label in choices]),
        value=value,
        on_change=on_change,
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.button(rx.icon("plus", size=16), _("Add channel"), on_click=S.open_create, id="ch-add"),
        rx.button(rx.icon("flask-conical", size=16), _("Test all"), on_click=S.test_all, variant="soft",
                  id="ch-test-all"),
        rx.button(rx.icon("wallet", size=16), _("Update all balances"), on_click=S.update_all_balances,
                  variant="soft", id="ch-balance-all"),
        rx.button(rx.icon("trash-2", size=16), _("Delete disabled"), on_click=S.ask_delete_disabled,
                  variant="soft", color_scheme="red", id="ch-delete-disabled"),
        channel_tools.toolbar_tools(),
        wrap="wrap",
        spacing="2",
    )


def _filters() -> rx.Component:
    return rx.flex(
        rx.form(
            rx.flex(
                labelled(N_("Search"), rx.input(name="keyword", id="ch-keyword", placeholder=_("ID, name, tag or URL"))),
                labelled(N_("Group"), rx.input(name="group", id="ch-filter-group")),
                labelled(N_("Model"), rx.input(name="model", id="ch-filter-model")),
                rx.button(rx.icon("search", size=16), _("Search"), type="submit", id="ch-search"),
                wrap="wrap",
                spacing="3",
                align="end",
            ),
            on_submit=S.search,
            reset_on_submit=False,
        ),
        labelled(N_("Status"), _select(S.filter_status, S.set_filter_status,
                                      [(v, _(label)) for v, label in STATUS_FILTERS], "ch-filter-status")),
        labelled(N_("Type"), _select(S.filter_type, S.set_filter_type, [("all", _("All")), *TYPE_CHOICES],
                                    "ch-filter-type")),
        wrap="wrap",
        spacing="3",
        align="end",
        width="100%",
    )


def _batch_bar() -> rx.Component:
    return rx.flex(
        rx.text(_("Selected"), ": ", S.selected.length(), size="2", id="ch-selected-count"),
        rx.input(value=S.tag_input, on_change=S.set_tag_input, placeholder=_("Tag"), id="ch-tag-input",
                 width="12em"),
        rx.button(_("Set tag on selected"), on_click=S.batch_tag, variant="soft", size="2", id="ch-batch-tag"),
        rx.button(_("Enable tag"), on_click=S.tag_status(True), variant="soft", size="2", id="ch-tag-enable"),
        rx.button(_("Disable tag"), on_click=S.tag_status(False), variant="soft", size="2", id="ch-tag-disable"),
        rx.button(_("Delete selected"), on_click=S.ask_batch_delete, variant="soft", color_scheme="red", size="2",
                  id="ch-batch-delete"),
        wrap="wrap",
        spacing="2",
        align="center",
    )


def _actions(row: rx.Var) -> rx.Component:
    rid = row["id"].to(str)
    return rx.fragment(
        icon_action("pencil", N_("Edit"), S.open_edit(row["id"]), "ch-edit-" + rid),
        icon_action("flask-conical", N_("Test"), S.open_test(row["id"]), "ch-test-" + rid),
        rx.cond(
            row["enabled"] == "1",
            icon_action("pause", N_("Disable"), S.set_enabled(row["id"], False), "ch-disable-" + rid, color="amber"),
            icon_action("play", N_("Enable"), S.set_enabled(row["id"], True), "ch-enable-" + rid, color="green"),
        ),
        icon_action("wallet", N_("Update balance"), S.update_balance(row["id"]), "ch-balance-" + rid),
        channel_tools.row_tools(row),
        icon_action("trash-2", N_("Delete"), S.ask_delete(row["id"], row["name"]), "ch-delete-" + rid, color="red"),
    )


def _text(label: str, name: str, element_id: str, *, placeholder: rx.Var | str = "") -> rx.Component:
    return labelled(label, rx.input(value=getattr(S, name), on_change=lambda v: S.set_text(name, v),
                                    id=element_id, placeholder=placeholder, width="100%"))


def _models_editor() -> rx.Component:
    return rx.vstack(
        rx.text(_("Models"), size="2", weight="medium"),
        rx.flex(
            rx.foreach(S.f_models, lambda m: rx.badge(
                m, rx.icon("x", size=12, cursor="pointer", on_click=S.remove_model(m)), variant="soft",
                class_name="model-chip")),
            wrap="wrap",
            spacing="1",
            id="ch-models",
        ),
        rx.flex(
            rx.input(value=S.model_input, on_change=lambda v: S.set_text("model_input", v), id="ch-model-input",
                     placeholder=_("model-a, model-b"), flex="1", min_width="12em"),
            rx.button(_("Add"), on_click=S.add_models, variant="soft", id="ch-model-add"),
            rx.button(rx.icon("cloud-download", size=16), _("Fetch upstream models"), on_click=S.fetch_models,
                      loading=S.fetching, variant="soft", id="ch-fetch-models"),
            rx.button(_("Clear"), on_click=S.clear_models, variant="soft", color_scheme="gray", id="ch-models-clear"),
            wrap="wrap",
            spacing="2",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def _groups_editor() -> rx.Component:
    return rx.vstack(
        rx.text(_("Groups"), size="2", weight="medium"),
        rx.flex(
            rx.foreach(S.all_groups, lambda g: rx.checkbox(
                g, checked=S.f_groups.contains(g), on_change=lambda _c: S.toggle_group(g), id="ch-group-" + g)),
            wrap="wrap",
            spacing="3",
        ),
        spacing="1",
        width="100%",
    )


def _form() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.editing_id > 0, _("Edit channel"), _("Add channel"))),
            rx.vstack(
                rx.grid(
                    labelled(N_("Type"), _select(S.f_type, S.set_type, TYPE_CHOICES, "ch-type")),
                    _text(N_("Name"), "f_name", "ch-name"),
                    _text(N_("Base URL"), "f_base_url", "ch-base-url"),
                    _text(N_("Tag"), "f_tag", "ch-tag"),
                    _text(N_("Priority"), "f_priority", "ch-priority"),
                    _text(N_("Weight"), "f_weight", "ch-weight"),
                    _text(N_("Test model"), "f_test_model", "ch-test-model"),
                    _text(N_("Other (Azure API version, Vertex region…)"), "f_other", "ch-other"),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="3",
                    width="100%",
                ),
                rx.cond(S.type_hint != "", rx.callout(S.type_hint, icon="info", size="1", width="100%",
                                                      id="ch-type-hint")),
                labelled(N_("Key"), rx.text_area(
                    value=S.f_key, on_change=lambda v: S.set_text("f_key", v), id="ch-key", rows="3", width="100%",
                    placeholder=rx.cond(S.editing_id > 0, _("Leave empty to keep the stored key"),
                                        _("One key per line in batch mode")))),
                rx.cond(S.editing_id > 0,
                        rx.text(_("Stored keys"), ": ", S.key_count, size="1", color_scheme="gray"),
                        rx.hstack(rx.switch(checked=S.f_batch, on_change=lambda v: S.set_flag("f_batch", v),
                                            id="ch-batch"),
                                  rx.text(_("Batch: one channel per key line"), size="2"), align="center")),
                _models_editor(),
                _groups_editor(),
                rx.hstack(rx.switch(checked=S.f_auto_ban, on_change=lambda v: S.set_flag("f_auto_ban", v),
                                    id="ch-auto-ban"),
                          rx.text(_("Disable automatically on failure"), size="2"), align="center"),
                json_editor(N_("Model mapping"), S.json_text["model_mapping"],
                            lambda v: S.set_json("model_mapping", v), S.json_errors["model_mapping"],
                            "ch-json-model_mapping", hint=N_('e.g. {"gpt-4o": "gpt-4o-2024-11-20"}')),
                json_editor(N_("Status code mapping"), S.json_text["status_code_mapping"],
                            lambda v: S.set_json("status_code_mapping", v), S.json_errors["status_code_mapping"],
                            "ch-json-status_code_mapping", hint=N_('e.g. {"400": "500"}'), rows=2),
                json_editor(N_("Parameter override"), S.json_text["param_override"],
                            lambda v: S.set_json("param_override", v), S.json_errors["param_override"],
                            "ch-json-param_override", rows=3),
                json_editor(N_("Header override"), S.json_text["header_override"],
                            lambda v: S.set_json("header_override", v), S.json_errors["header_override"],
                            "ch-json-header_override", rows=3),
                json_editor(N_("Channel settings"), S.json_text["setting"], lambda v: S.set_json("setting", v),
                            S.json_errors["setting"], "ch-json-setting", hint=N_('e.g. {"proxy": "socks5://…"}'),
                            rows=3),
                rx.cond(S.form_error != "", rx.callout(S.form_error, icon="triangle-alert", color_scheme="red",
                                                       id="ch-form-error", width="100%")),
                rx.hstack(
                    rx.dialog.close(rx.button(_("Cancel"), variant="soft", color_scheme="gray", id="ch-cancel")),
                    rx.button(_("Save"), on_click=S.save, loading=S.saving, id="ch-save"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="52em",
            id="ch-form",
        ),
        open=S.form_open,
        on_open_change=S.set_form_open,
    )


def _test_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Test channel"), " ", S.test_name),
            rx.vstack(
                labelled(N_("Model"), rx.input(value=S.test_model, on_change=S.set_test_model, id="ch-test-model-input",
                                               list="ch-test-models", width="100%")),
                rx.el.datalist(rx.foreach(S.test_models, lambda m: rx.el.option(value=m)), id="ch-test-models"),
                rx.cond(S.test_result != "", rx.callout(S.test_result, color_scheme=rx.cond(S.test_ok, "green", "red"),
                                                        icon=rx.cond(S.test_ok, "circle-check", "circle-x"),
                                                        id="ch-test-result", width="100%")),
                rx.hstack(
                    rx.dialog.close(rx.button(_("Close"), variant="soft", color_scheme="gray")),
                    rx.button(_("Run test"), on_click=S.run_test, loading=S.testing, id="ch-run-test"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="30em",
        ),
        open=S.test_open,
        on_open_change=S.set_test_open,
    )


@template("/channel", "Channels", on_load=S.on_load)
def channels_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Channels"), size="6"),
        _toolbar(),
        _filters(),
        _batch_bar(),
        action_table(S, COLUMNS, "channels-table", _actions, select=(S.selected, S.toggle_selected, S.toggle_all)),
        _form(),
        _test_dialog(),
        channel_tools.dialogs(),
        confirm_dialog(S.confirm_open, S.confirm_message, S.confirm, S.cancel_confirm, "ch-confirm"),
        spacing="4",
        width="100%",
    )
