"""The channel list's tool buttons and dialogs (copy, upstream model updates, Ollama models,
multi-key management), driven by `ChannelToolsState`."""

from __future__ import annotations

import reflex as rx

from newapi_ui.components.admin_table import icon_action
from newapi_ui.i18n import N_, _
from newapi_ui.states.channel_tools import ChannelToolsState as T

OLLAMA = "4"


def row_tools(row: rx.Var) -> rx.Component:
    """Per-row buttons: copy and upstream check always; Ollama and keys where they apply."""
    rid = row["id"].to(str)
    return rx.fragment(
        icon_action("copy", N_("Copy"), T.copy(row["id"]), "ch-copy-" + rid),
        icon_action("git-compare", N_("Upstream model updates"), T.open_upstream(row["id"], row["name"]),
                    "ch-upstream-" + rid),
        rx.cond(row["type_id"] == OLLAMA,
                icon_action("hard-drive-download", N_("Ollama models"), T.open_ollama(row["id"], row["name"]),
                            "ch-ollama-" + rid)),
        rx.cond(row["multi"] == "1",
                icon_action("key-round", N_("Manage keys"), T.open_keys(row["id"], row["name"]), "ch-keys-" + rid)),
    )


def toolbar_tools() -> rx.Component:
    return rx.fragment(
        rx.button(rx.icon("git-compare", size=16), _("Detect upstream updates"), on_click=T.detect_all,
                  loading=T.busy, variant="soft", id="ch-detect-all"),
        rx.button(rx.icon("check-check", size=16), _("Apply all upstream updates"), on_click=T.apply_all,
                  variant="soft", id="ch-apply-all"),
    )


def _choices(names: rx.Var, chosen: rx.Var, toggle, prefix: str) -> rx.Component:  # noqa: ANN001
    return rx.scroll_area(
        rx.flex(
            rx.foreach(names, lambda n: rx.hstack(
                rx.checkbox(checked=chosen.contains(n), on_change=lambda _c: toggle(n), id=prefix + n),
                rx.code(n),
                align="center",
            )),
            direction="column",
            spacing="1",
        ),
        max_height="14em",
        type="auto",
    )


def upstream_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Upstream model updates"), ": ", T.tool_channel_name),
            rx.vstack(
                rx.text(_("New upstream models"), " (", T.up_add.length(), ")", weight="medium", id="up-add-count"),
                _choices(T.up_add, T.up_add_chosen, T.toggle_add, "up-add-"),
                rx.text(_("No longer listed upstream"), " (", T.up_remove.length(), ")", weight="medium",
                        id="up-remove-count"),
                _choices(T.up_remove, T.up_remove_chosen, T.toggle_remove, "up-remove-"),
                rx.hstack(
                    rx.dialog.close(rx.button(_("Close"), variant="soft", color_scheme="gray")),
                    rx.button(_("Ignore ticked additions"), on_click=T.ignore_upstream, variant="soft",
                              id="up-ignore"),
                    rx.button(_("Apply ticked changes"), on_click=T.apply_upstream, id="up-apply"),
                    justify="end",
                    width="100%",
                    wrap="wrap",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="34em",
        ),
        open=T.up_open,
        on_open_change=T.set_up_open,
    )


def ollama_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Ollama models"), ": ", T.tool_channel_name),
            rx.vstack(
                rx.cond(T.ol_version != "", rx.text(_("Ollama version"), ": ", T.ol_version, size="2",
                                                    id="ol-version")),
                rx.input(value=T.ol_model, on_change=T.set_ol_model, placeholder=_("Model, e.g. llama3.2:3b"),
                         id="ol-model", width="100%"),
                rx.progress(value=T.ol_percent, max=100, width="100%", id="ol-progress"),
                rx.text(T.ol_status, size="2", color_scheme="gray", id="ol-status"),
                rx.hstack(
                    rx.dialog.close(rx.button(_("Close"), variant="soft", color_scheme="gray",
                                              disabled=T.ol_pulling)),
                    rx.button(_("Delete model"), on_click=T.delete_model, variant="soft", color_scheme="red",
                              disabled=T.ol_pulling, id="ol-delete"),
                    rx.button(_("Pull model"), on_click=T.pull, loading=T.ol_pulling, id="ol-pull"),
                    justify="end",
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="30em",
        ),
        open=T.ol_open,
        on_open_change=T.set_ol_open,
    )


def _key_row(row: rx.Var) -> rx.Component:
    idx = row["index"]
    return rx.table.row(
        rx.table.cell(idx),
        rx.table.cell(rx.code(row["preview"])),
        rx.table.cell(rx.badge(row["status"], color_scheme=row["color"], variant="soft")),
        rx.table.cell(row["reason"]),
        rx.table.cell(rx.hstack(
            rx.cond(row["enabled"] == "1",
                    icon_action("pause", N_("Disable"), T.key_action("disable_key", idx), "mk-disable-" + idx,
                                color="amber"),
                    icon_action("play", N_("Enable"), T.key_action("enable_key", idx), "mk-enable-" + idx,
                                color="green")),
            icon_action("trash-2", N_("Delete"), T.key_action("delete_key", idx), "mk-delete-" + idx, color="red"),
            spacing="1",
        )),
    )


def keys_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(_("Manage keys"), ": ", T.tool_channel_name),
            rx.vstack(
                rx.text(T.mk_summary, size="2", id="mk-summary"),
                rx.scroll_area(
                    rx.table.root(
                        rx.table.header(rx.table.row(*[rx.table.column_header_cell(_(h)) for h in (
                            N_("#"), N_("Key"), N_("Status"), N_("Reason"), N_("Actions"))])),
                        rx.table.body(rx.foreach(T.mk_rows, _key_row)),
                        size="1",
                        width="100%",
                        id="mk-table",
                    ),
                    max_height="20em",
                    type="auto",
                ),
                rx.hstack(
                    rx.button(_("Enable all"), on_click=T.key_action("enable_all_keys", ""), variant="soft",
                              id="mk-enable-all"),
                    rx.button(_("Disable all"), on_click=T.key_action("disable_all_keys", ""), variant="soft",
                              id="mk-disable-all"),
                    rx.button(_("Delete disabled keys"), on_click=T.key_action("delete_disabled_keys", ""),
                              variant="soft", color_scheme="red", id="mk-delete-disabled"),
                    rx.spacer(),
                    rx.dialog.close(rx.button(_("Close"), variant="soft", color_scheme="gray")),
                    width="100%",
                    wrap="wrap",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="40em",
        ),
        open=T.mk_open,
        on_open_change=T.set_mk_open,
    )


def dialogs() -> rx.Component:
    return rx.fragment(upstream_dialog(), ollama_dialog(), keys_dialog())
