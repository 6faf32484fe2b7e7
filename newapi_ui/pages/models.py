"""/models (admins): model metadata, the models channels serve without any, and the sync from
new-api's public catalogue (preview, then create what is missing)."""

import reflex as rx

from newapi_ui.components.crud import confirm_dialog
from newapi_ui.components.forms import labelled
from newapi_ui.components.table import data_table, icon_action
from newapi_ui.i18n import N_, _
from newapi_ui.states.models import NO_VENDOR, RULES
from newapi_ui.states.models import ModelsState as S
from newapi_ui.template import template

COLUMNS = [
    ("id", N_("ID")),
    ("model_name", N_("Model")),
    ("rule", N_("Name rule")),
    ("vendor", N_("Vendor")),
    ("description", N_("Description")),
    ("tags", N_("Tags")),
    ("channels", N_("Channels")),
    ("groups", N_("Groups")),
    ("status", N_("Status")),
]


def _toolbar() -> rx.Component:
    return rx.form(
        rx.flex(
            labelled(N_("Search"), rx.input(name="keyword", id="m-keyword", placeholder=_("Name, description or tag"))),
            labelled(N_("Vendor"), rx.input(name="vendor", id="m-vendor")),
            rx.button(rx.icon("search", size=16), _("Search"), type="submit", id="m-search"),
            rx.spacer(),
            rx.button(rx.icon("plus", size=16), _("Add model"), on_click=S.open_edit("0"), type="button",
                      id="m-add"),
            rx.button(rx.icon("list-plus", size=16), _("Missing models"), on_click=S.show_missing, type="button",
                      variant="soft", id="m-missing"),
            rx.button(rx.icon("cloud-download", size=16), _("Sync from upstream"), on_click=S.preview_sync,
                      type="button", variant="soft", loading=S.busy, id="m-sync"),
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
        icon_action("pencil", N_("Edit"), S.open_edit(row["id"]), "m-edit-" + rid),
        rx.cond(
            row["state"] == "1",
            icon_action("ban", N_("Disable"), S.set_status(row["id"], False), "m-disable-" + rid, color="amber"),
            icon_action("circle-check", N_("Enable"), S.set_status(row["id"], True), "m-enable-" + rid,
                        color="green"),
        ),
        icon_action("trash-2", N_("Delete"), S.ask_delete(row["id"], row["model_name"]), "m-delete-" + rid,
                    color="red"),
    )


def _text_input(label: str, name: str) -> rx.Component:
    return labelled(label, rx.input(name=name, id=f"m-f-{name}", default_value=S.edit[name], width="100%"))


def _edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.edit_id == 0, _("Add model"), _("Edit model"))),
            rx.form(
                rx.vstack(
                    _text_input(N_("Model name"), "model_name"),
                    labelled(N_("Name rule"), rx.select.root(
                        rx.select.trigger(id="m-f-name_rule", width="100%"),
                        rx.select.content(*[rx.select.item(_(label), value=str(v)) for v, label in RULES.items()]),
                        name="name_rule", default_value=S.edit["name_rule"])),
                    labelled(N_("Vendor"), rx.select.root(
                        rx.select.trigger(id="m-f-vendor", width="100%"),
                        rx.select.content(
                            rx.select.item(_("None"), value=NO_VENDOR),
                            rx.foreach(S.vendor_options, lambda v: rx.select.item(v["name"], value=v["id"])),
                        ),
                        name="vendor_id", default_value=S.edit["vendor_id"])),
                    _text_input(N_("Description"), "description"),
                    _text_input(N_("Tags"), "tags"),
                    _text_input(N_("Icon"), "icon"),
                    labelled(N_("Endpoints (JSON)"), rx.text_area(name="endpoints", id="m-f-endpoints",
                                                                 default_value=S.edit["endpoints"], width="100%")),
                    rx.hstack(
                        rx.switch(name="status", id="m-f-status", default_checked=S.edit["status"] == "1"),
                        rx.text(_("Enabled"), as_="label", custom_attrs={"htmlFor": "m-f-status"}, size="2"),
                        rx.switch(name="sync_official", id="m-f-sync", default_checked=S.edit["sync_official"] == "1"),
                        rx.text(_("Follow the official catalogue"), as_="label", custom_attrs={"htmlFor": "m-f-sync"},
                                size="2"),
                        align="center",
                        spacing="2",
                    ),
                    rx.cond(S.form_error != "", rx.callout(S.form_error, icon="triangle-alert", color_scheme="red",
                                                           id="m-form-error", width="100%")),
                    rx.hstack(
                        rx.dialog.close(rx.button(_("Cancel"), variant="soft", color_scheme="gray", type="button")),
                        rx.button(_("Save"), type="submit", loading=S.busy, id="m-save"),
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


def _name_list(names: rx.Var, item_id: str, action=None) -> rx.Component:  # noqa: ANN001
    return rx.scroll_area(
        rx.vstack(
            rx.foreach(names, lambda n: rx.hstack(
                rx.code(n),
                rx.spacer(),
                action(n) if action is not None else rx.fragment(),
                width="100%",
                align="center",
            )),
            spacing="1",
            id=item_id,
        ),
        max_height="18em",
        type="auto",
    )


def _missing_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Missing models")),
            rx.text(_("Models some channel serves that have no metadata yet."), size="2", color_scheme="gray"),
            rx.cond(S.missing.length() == 0, rx.text(_("Nothing here yet"), size="2", id="m-missing-empty")),
            _name_list(S.missing, "m-missing-list", lambda n: rx.button(
                _("Add"), size="1", variant="soft", on_click=S.open_new_named(n), class_name="m-missing-add")),
            rx.hstack(rx.dialog.close(rx.button(_("Close"), variant="soft")), justify="end", width="100%"),
            max_width="32em",
        ),
        open=S.missing_open,
        on_open_change=S.set_missing_open,
    )


def _sync_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Sync from upstream")),
            rx.vstack(
                rx.text(_("To be created"), ": ", S.sync_missing.length(), weight="medium", id="m-sync-count"),
                _name_list(S.sync_missing, "m-sync-missing"),
                rx.cond(S.sync_conflicts.length() > 0, rx.vstack(
                    rx.text(_("Differ from the catalogue (left as they are)"), ": ", S.sync_conflicts.length(),
                            weight="medium"),
                    _name_list(S.sync_conflicts, "m-sync-conflicts"),
                    width="100%",
                )),
                rx.hstack(
                    rx.dialog.close(rx.button(_("Cancel"), variant="soft", color_scheme="gray")),
                    rx.button(_("Create missing models"), on_click=S.apply_sync, loading=S.busy,
                              disabled=S.sync_missing.length() == 0, id="m-sync-apply"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="32em",
        ),
        open=S.sync_open,
        on_open_change=S.set_sync_open,
    )


@template("/models", "Models", on_load=S.on_load)
def models_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Models"), size="6"),
        _toolbar(),
        data_table(S, COLUMNS, "models-table", actions=_actions),
        _edit_dialog(),
        _missing_dialog(),
        _sync_dialog(),
        confirm_dialog(S, "m"),
        spacing="4",
        width="100%",
    )
