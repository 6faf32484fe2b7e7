"""/channel (admins): the channel table with search, filters, batch and tag actions, the type-aware
create/edit form, channel tests and balances."""

import reflex as rx

from newapi_ui.components import channel_tools
from newapi_ui.components.crud import crud_page, form_dialog
from newapi_ui.components.forms import labelled
from newapi_ui.components.json_editor import json_editor
from newapi_ui.components.table import data_table, empty_state, icon_action
from newapi_ui.i18n import N_, _
from newapi_ui.states.channel_checks import ChannelChecksState as C
from newapi_ui.states.channel_form import ChannelFormState as F
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
        rx.button(rx.icon("plus", size=16), _("Add channel"), on_click=F.open_create, id="ch-add"),
        rx.button(rx.icon("flask-conical", size=16), _("Test all"), on_click=C.test_all, variant="soft",
                  id="ch-test-all"),
        rx.button(rx.icon("wallet", size=16), _("Update all balances"), on_click=C.update_all_balances,
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
                 aria_label=_("Tag"), width="12em"),
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
    return rx.fragment(
        icon_action("pencil", N_("Edit"), F.open_edit(row.id), "ch-edit-" + row.id),
        icon_action("flask-conical", N_("Test"), C.open_test(row.id), "ch-test-" + row.id),
        rx.cond(
            row.enabled,
            icon_action("pause", N_("Disable"), S.set_enabled(row.id, False), "ch-disable-" + row.id, color="amber"),
            icon_action("play", N_("Enable"), S.set_enabled(row.id, True), "ch-enable-" + row.id, color="green"),
        ),
        icon_action("wallet", N_("Update balance"), C.update_balance(row.id), "ch-balance-" + row.id),
        channel_tools.row_tools(row),
        icon_action("trash-2", N_("Delete"), S.ask_delete(row.id, row.name), "ch-delete-" + row.id, color="red"),
    )


def _text(label: str, name: str, element_id: str, *, placeholder: rx.Var | str = "") -> rx.Component:
    return labelled(label, rx.input(value=getattr(F, name), on_change=lambda v: F.set_text(name, v),
                                    id=element_id, placeholder=placeholder, width="100%"))


def _models_editor() -> rx.Component:
    return rx.vstack(
        rx.text(_("Models"), size="2", weight="medium"),
        rx.flex(
            rx.foreach(F.f_models, lambda m: rx.badge(
                m, rx.icon("x", size=12, cursor="pointer", on_click=F.remove_model(m)), variant="soft",
                class_name="model-chip")),
            wrap="wrap",
            spacing="1",
            id="ch-models",
        ),
        rx.flex(
            rx.input(value=F.model_input, on_change=lambda v: F.set_text("model_input", v), id="ch-model-input",
                     aria_label=_("Models"), placeholder=_("model-a, model-b"), flex="1", min_width="12em"),
            rx.button(_("Add"), on_click=F.add_models, variant="soft", id="ch-model-add"),
            rx.button(rx.icon("cloud-download", size=16), _("Fetch upstream models"), on_click=F.fetch_models,
                      loading=F.fetching, variant="soft", id="ch-fetch-models"),
            rx.button(_("Clear"), on_click=F.clear_models, variant="soft", color_scheme="gray", id="ch-models-clear"),
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
            rx.foreach(F.all_groups, lambda g: rx.checkbox(
                g, checked=F.f_groups.contains(g), on_change=lambda _c: F.toggle_group(g), id="ch-group-" + g)),
            wrap="wrap",
            spacing="3",
        ),
        spacing="1",
        width="100%",
    )


# (label, JSON column, hint, rows) of the form's JSON editors.
JSON_EDITORS = [
    (N_("Model mapping"), "model_mapping", N_('e.g. {"gpt-4o": "gpt-4o-2024-11-20"}'), 5),
    (N_("Status code mapping"), "status_code_mapping", N_('e.g. {"400": "500"}'), 2),
    (N_("Parameter override"), "param_override", "", 3),
    (N_("Header override"), "header_override", "", 3),
    (N_("Channel settings"), "setting", N_('e.g. {"proxy": "socks5://…"}'), 3),
]


def _json(label: str, name: str, hint: str, rows: int) -> rx.Component:
    return json_editor(label, F.json_text[name], lambda v: F.set_json(name, v), F.json_errors[name],
                       f"ch-json-{name}", hint=hint, rows=rows)


def _type_picker() -> rx.Component:
    """Only the types the relay serves, narrowed by a search box (there are dozens)."""
    return labelled(N_("Type"), rx.hstack(
        rx.select.root(
            rx.select.trigger(id="ch-type", flex="1", min_width="0"),
            rx.select.content(rx.foreach(F.type_options, lambda o: rx.select.item(o[1], value=o[0]))),
            value=F.f_type,
            on_change=F.set_type,
        ),
        rx.input(value=F.type_query, on_change=F.set_type_query, id="ch-type-search", placeholder=_("Search"),
                 aria_label=_("Search types"), width="7em"),
        width="100%",
        spacing="2",
    ))


def _form() -> rx.Component:
    return form_dialog(
        rx.cond(F.editing_id > 0, _("Edit channel"), _("Add channel")),
        rx.grid(
            _type_picker(),
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
        rx.cond(F.type_hint != "", rx.callout(F.type_hint, icon="info", size="1", width="100%", id="ch-type-hint")),
        labelled(N_("Key"), width="100%", control=rx.text_area(
            value=F.f_key, on_change=lambda v: F.set_text("f_key", v), id="ch-key", rows="3", width="100%",
            placeholder=rx.cond(F.editing_id > 0, _("Leave empty to keep the stored key"),
                                _("One key per line in batch mode")))),
        rx.cond(F.editing_id > 0,
                rx.text(_("Stored keys"), ": ", F.key_count, size="1", color_scheme="gray"),
                rx.hstack(rx.switch(checked=F.f_batch, on_change=lambda v: F.set_flag("f_batch", v), id="ch-batch"),
                          rx.text(_("Batch: one channel per key line"), as_="label", custom_attrs={"htmlFor": "ch-batch"}, size="2"),
                          align="center")),
        _models_editor(),
        _groups_editor(),
        rx.hstack(rx.switch(checked=F.f_auto_ban, on_change=lambda v: F.set_flag("f_auto_ban", v), id="ch-auto-ban"),
                  rx.text(_("Disable automatically on failure"), as_="label", custom_attrs={"htmlFor": "ch-auto-ban"}, size="2"),
                  align="center"),
        *[_json(label, name, hint, rows) for label, name, hint, rows in JSON_EDITORS],
        open_=F.form_open, on_open_change=F.set_form_open, error=F.form_error, error_id="ch-form-error",
        save=rx.button(_("Save"), on_click=F.save, loading=F.saving, id="ch-save"), cancel_id="ch-cancel",
        max_width="52em", dialog_id="ch-form",
    )


def _test_dialog() -> rx.Component:
    return form_dialog(
        rx.fragment(_("Test channel"), " ", C.test_name),
        labelled(N_("Model"), rx.input(value=C.test_model, on_change=C.set_test_model, id="ch-test-model-input",
                                       list="ch-test-models", width="100%")),
        rx.el.datalist(rx.foreach(C.test_models, lambda m: rx.el.option(value=m)), id="ch-test-models"),
        rx.cond(C.test_result != "", rx.callout(C.test_result, color_scheme=rx.cond(C.test_ok, "green", "red"),
                                                icon=rx.cond(C.test_ok, "circle-check", "circle-x"),
                                                id="ch-test-result", width="100%")),
        open_=C.test_open, on_open_change=C.set_test_open,
        save=rx.button(_("Run test"), on_click=C.run_test, loading=C.testing, id="ch-run-test"), max_width="30em",
    )


@template("/channel", "Channels", on_load=S.open_page)
def channels_page() -> rx.Component:
    return crud_page(
        N_("Channels"), S, "ch",
        _toolbar(),
        _filters(),
        _batch_bar(),
        data_table(S, COLUMNS, "channels-table", actions=_actions,
                   select=(S.selected, S.toggle_selected, S.toggle_all),
                   empty=empty_state(N_("Nothing here yet"), N_("Add channel"), F.open_create, "ch-add-empty")),
        _form(),
        _test_dialog(),
        channel_tools.dialogs(),
    )
