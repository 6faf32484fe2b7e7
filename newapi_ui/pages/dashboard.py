"""/detail: balance and usage cards, and calls / quota per model over the chosen period."""

import reflex as rx

from newapi_ui.components.forms import labelled
from newapi_ui.components.stats import stat_card, stat_grid
from newapi_ui.i18n import N_, _
from newapi_ui.states.dashboard import GRANULARITY_LABELS, SERIES_KEYS, DashboardState
from newapi_ui.template import template

# Radix colour scales for the series; "Other" is grey.
SERIES_COLOURS = ["indigo", "grass", "amber", "crimson", "cyan", "purple", "gray"]

# Axis ticks and tooltip values, formatted in the browser in the page's language (<html lang>):
# four significant digits, so $0.000076 reads as such instead of a cut-off ".00006"; money with "$"
# placed as newapi_ui.i18n.fmt_money places it (after the number in French).
_JS_NUMBER = ("(v) => Number(v).toLocaleString((document.documentElement.lang || 'en').replace('_', '-'),"
              " {maximumSignificantDigits: 4})")
_JS_MONEY = ("(v) => { const l = document.documentElement.lang || 'en';"
             " const n = Number(v).toLocaleString(l, {maximumSignificantDigits: 4});"
             " return l.startsWith('fr') ? n + '\u00a0$' : '$' + n; }")


# The date range presets: (days up to today, label msgid); the service allows 30 days at most.
PRESETS = ((1, N_("Today")), (7, N_("Last 7 days")), (30, N_("Last 30 days")))


def _filters() -> rx.Component:
    return rx.form(
        rx.flex(
            labelled(N_("From"), rx.input(type="date", name="start_date", id="start_date",
                                          default_value=DashboardState.start_date, key=DashboardState.start_date)),
            labelled(N_("To"), rx.input(type="date", name="end_date", id="end_date",
                                        default_value=DashboardState.end_date, key=DashboardState.end_date)),
            rx.cond(
                DashboardState.is_admin,
                labelled(N_("Username"), rx.input(name="username", id="dash-username",
                                                  placeholder=_("All users"))),
            ),
            rx.button(rx.icon("search", size=16), _("Query"), type="submit", id="dash-query",
                      loading=DashboardState.loading),
            rx.hstack(
                *[rx.button(_(label), type="button", variant="soft", size="2", on_click=DashboardState.preset(days),
                            id=f"dash-preset-{days}") for days, label in PRESETS],
                spacing="1",
            ),
            wrap="wrap",
            spacing="3",
            align="end",
        ),
        on_submit=DashboardState.apply,
        reset_on_submit=False,
        id="dash-filters",
        width="100%",
    )


def _granularity() -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(_(label), value=key, id=f"gran-{key}") for key, label in GRANULARITY_LABELS.items()],
        value=DashboardState.granularity,
        on_change=DashboardState.set_granularity,
        size="1",
    )


def _chart(title: str, data: rx.Var, chart_id: str, money: bool = False) -> rx.Component:
    """One stacked bar chart; `money`: the values are US dollars (ticks and tooltip say so)."""
    js = _JS_MONEY if money else _JS_NUMBER
    bars = [
        rx.recharts.bar(
            data_key=key,
            name=DashboardState.legend[i].to(str),
            stack_id="a",
            fill=rx.color(SERIES_COLOURS[i], 9),
            hide=DashboardState.legend.length() <= i,
            legend_type=rx.cond(DashboardState.legend.length() <= i, "none", "square"),
            is_animation_active=False,
        )
        for i, key in enumerate(SERIES_KEYS)
    ]
    return rx.card(
        rx.vstack(
            rx.text(_(title), weight="medium"),
            rx.recharts.bar_chart(
                rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke=rx.color("gray", 5)),
                rx.recharts.x_axis(data_key="t", stroke=rx.color("gray", 9)),
                rx.recharts.y_axis(stroke=rx.color("gray", 9), width=80, tick_formatter=js),
                rx.recharts.graphing_tooltip(
                    content_style={"backgroundColor": rx.color("gray", 2), "borderColor": rx.color("gray", 6)},
                    custom_attrs={"formatter": rx.Var(_js_expr=js)},
                ),
                rx.recharts.legend(),
                *bars,
                data=data,
                width="100%",
                height=300,
            ),
            width="100%",
            id=chart_id,
        ),
        width="100%",
    )


@template("/detail", "Dashboard", on_load=DashboardState.on_load)
def dashboard_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Dashboard"), size="6"),
        stat_grid(
            stat_card(N_("Balance"), DashboardState.balance_text, "wallet", "dash-balance"),
            stat_card(N_("Used"), DashboardState.used_text, "chart-no-axes-column", "dash-used"),
            stat_card(N_("Requests"), DashboardState.requests_text, "activity", "dash-requests"),
            stat_card(N_("Period quota"), DashboardState.period_quota_text, "coins", "dash-period-quota"),
            stat_card(N_("Period tokens"), DashboardState.period_tokens_text, "text-cursor-input",
                      "dash-period-tokens"),
            stat_card(N_("Period calls"), DashboardState.period_calls_text, "send", "dash-period-calls"),
            stat_card(N_("Average RPM"), DashboardState.avg_rpm_text, "gauge", "dash-rpm"),
            stat_card(N_("Average TPM"), DashboardState.avg_tpm_text, "zap", "dash-tpm"),
        ),
        _filters(),
        rx.hstack(rx.text(_("Group by"), size="2", color_scheme="gray"), _granularity(), align="center"),
        rx.cond(
            DashboardState.has_data,
            rx.grid(
                _chart(N_("Calls per model"), DashboardState.calls_chart, "chart-calls"),
                rx.cond(
                    DashboardState.display_in_currency,
                    _chart(N_("Quota per model"), DashboardState.quota_chart, "chart-quota", money=True),
                    _chart(N_("Quota per model"), DashboardState.quota_chart, "chart-quota"),
                ),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
            ),
            rx.callout(_("No usage in this period"), icon="info", id="dash-empty", width="100%"),
        ),
        spacing="4",
        width="100%",
    )
