"""/admin/plans (admins): the subscription plans users can buy, with a form dialog per plan."""

import reflex as rx

from newapi_ui import styles
from newapi_ui.components.forms import bound_field, dialog_footer
from newapi_ui.components.table import icon_action
from newapi_ui.i18n import N_, _
from newapi_ui.states.plans import DURATION_UNITS, RESET_PERIODS, TEXT_FIELDS
from newapi_ui.states.plans import PlansState as S
from newapi_ui.template import template

COLUMNS = (N_("ID"), N_("Title"), N_("Price"), N_("Duration"), N_("Quota"), N_("Quota reset"), N_("Status"),
           N_("Actions"))


def _row(p: rx.Var) -> rx.Component:
    pid = p["id"].to(str)
    return rx.table.row(
        *[rx.table.cell(p[k]) for k in ("id", "title", "price", "duration", "quota", "reset")],
        rx.table.cell(rx.cond(p["enabled"] == "1", rx.badge(_("Enabled"), color_scheme="green"),
                              rx.badge(_("Disabled"), color_scheme="gray"))),
        rx.table.cell(rx.hstack(
            icon_action("pencil", N_("Edit"), S.open_edit(p["id"]), "plan-edit-" + pid),
            rx.cond(p["enabled"] == "1",
                    icon_action("ban", N_("Disable"), S.set_enabled(p["id"], False), "plan-disable-" + pid,
                                color="amber"),
                    icon_action("circle-check", N_("Enable"), S.set_enabled(p["id"], True), "plan-enable-" + pid,
                                color="green")),
            spacing="1")),
        id="plan-row-" + pid,
    )


def _choice(label: str, element_id: str, choices: dict[str, str], value: rx.Var, on_change) -> rx.Component:  # noqa: ANN001
    return rx.vstack(
        rx.text(_(label), as_="label", custom_attrs={"htmlFor": element_id}, size="2", weight="medium"),
        rx.select.root(rx.select.trigger(id=element_id),
                       rx.select.content(*[rx.select.item(_(text), value=v) for v, text in choices.items()]),
                       value=value, on_change=on_change),
        spacing="1", width="100%",
    )


def _dialog() -> rx.Component:
    fields = [bound_field(label, f"plan-{name}", S.form[name], lambda v, n=name: S.set_field(n, v), hint=hint,
                          type=kind) for name, label, hint, kind in TEXT_FIELDS]
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.edit_id > 0, _("Edit plan"), _("Add plan"))),
            rx.vstack(
                rx.hstack(rx.switch(checked=S.form_enabled, on_change=S.set_form_enabled, id="plan-enabled"),
                          rx.text(_("Enabled"), as_="label", custom_attrs={"htmlFor": "plan-enabled"}, size="2"),
                          align="center"),
                rx.grid(*fields,
                        _choice(N_("Duration unit"), "plan-unit", DURATION_UNITS, S.unit, S.set_unit),
                        _choice(N_("Quota reset"), "plan-reset", RESET_PERIODS, S.reset_period, S.set_reset),
                        columns=rx.breakpoints(initial="1", md="2"), spacing="3", width="100%"),
                dialog_footer(S.form_error, S.busy, S.save, "plan"),
                spacing="3", width="100%",
            ),
            max_width="44em",
        ),
        open=S.dialog_open,
        on_open_change=S.set_dialog_open,
    )


@template("/admin/plans", "Subscription plans", on_load=S.on_load)
def plans_page() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(_("Subscription plans"), size="6"),
            rx.spacer(),
            rx.button(rx.icon("plus", size=16), _("Add plan"), on_click=S.open_new, id="plan-add"),
            width="100%", align="center",
        ),
        rx.text(_("A plan cannot be deleted once offered: disable it to stop selling it."), size="2",
                color_scheme="gray"),
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(_(h)) for h in COLUMNS])),
                rx.table.body(rx.foreach(S.plans, _row)),
                variant="surface", size="1", width="100%", id="plans-table",
            ),
            style=styles.table,
        ),
        rx.cond(S.plans.length() == 0, rx.text(_("Nothing here yet"), color_scheme="gray", size="2")),
        _dialog(),
        spacing="4",
        width="100%",
    )
