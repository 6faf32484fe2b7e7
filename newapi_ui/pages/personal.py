"""/setting: profile, password, access token, notifications, language and theme."""

import reflex as rx
from reflex_base.style import color_mode, set_color_mode

from newapi_ui.components import forms
from newapi_ui.components.oauth_bindings import oauth_bindings
from newapi_ui.components.security_settings import security_card
from newapi_ui.i18n import LANGUAGES, N_, _
from newapi_ui.states.personal import PersonalState
from newapi_ui.template import template


def _section(title: str, *children: rx.Component, section_id: str) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(_(title), as_="h2", size="4"), *children, spacing="3", width="100%"),
                   width="100%", id=section_id)


def _save(label: str, which: str, button_id: str) -> rx.Component:
    return rx.button(_(label), type="submit", loading=PersonalState.busy == which, id=button_id)


def _profile() -> rx.Component:
    return _section(
        N_("Profile"),
        rx.text(_("Username"), ": ", rx.code(PersonalState.username), size="2"),
        rx.form(
            rx.vstack(
                forms.field(N_("Display name"), "display_name", default=PersonalState.display_name),
                _save(N_("Save"), "profile", "save-profile"),
                spacing="3", width="100%",
            ),
            on_submit=PersonalState.save_profile, reset_on_submit=False, width="100%",
            key=PersonalState.display_name,
        ),
        section_id="profile",
    )


def _password() -> rx.Component:
    return _section(
        N_("Change password"),
        rx.form(
            rx.vstack(
                forms.field(N_("Current password"), "original_password", type="password", required=True,
                            autocomplete="current-password"),
                forms.field(N_("New password"), "new_password", type="password", required=True,
                            autocomplete="new-password", hint=N_("8 to 20 characters")),
                forms.field(N_("Confirm the new password"), "confirm_password", type="password", required=True,
                            autocomplete="new-password"),
                _save(N_("Change password"), "password", "save-password"),
                spacing="3", width="100%",
            ),
            on_submit=PersonalState.change_password, reset_on_submit=False, width="100%",
        ),
        section_id="password",
    )


def _access_token() -> rx.Component:
    return _section(
        N_("Access token"),
        rx.text(_("For scripts calling the management API (Authorization header). It is shown only once: "
                  "generating a new one revokes the old one."), size="2", color_scheme="gray"),
        rx.cond(
            PersonalState.new_access_token != "",
            rx.hstack(
                rx.input(value=PersonalState.new_access_token, read_only=True, id="access-token", flex="1",
                         font_family="monospace"),
                rx.icon_button(rx.icon("copy", size=16), on_click=PersonalState.copy_token, variant="soft",
                               aria_label=_("Copy"), id="copy-access-token"),
                width="100%",
            ),
        ),
        rx.button(rx.icon("refresh-cw", size=16), _("Generate a new access token"),
                  on_click=PersonalState.rotate_token, loading=PersonalState.busy == "token", variant="outline",
                  id="rotate-token"),
        section_id="access-token-card",
    )


def _notifications() -> rx.Component:
    return _section(
        N_("Notifications"),
        rx.text(_("Warn me when my balance drops below the threshold."), size="2", color_scheme="gray"),
        # Outside the form: the control's items are buttons, which would submit it.
        rx.text(_("Send by"), size="2", weight="medium"),
        rx.segmented_control.root(
            rx.foreach(PersonalState.notify_items,
                       lambda it: rx.segmented_control.item(it[1], value=it[0], id="notify-" + it[0])),
            value=PersonalState.notify_type, on_change=PersonalState.set_notify_type,
        ),
        rx.form(
            rx.vstack(
                rx.cond(PersonalState.display_in_currency,
                        forms.field(N_("Warning threshold ($)"), "threshold", default=PersonalState.threshold_shown),
                        forms.field(N_("Warning threshold (quota units)"), "threshold", type="number",
                                    default=PersonalState.threshold_shown)),
                rx.cond(PersonalState.threshold_note != "",
                        rx.text("= ", PersonalState.threshold_note, size="1", color_scheme="gray",
                                id="threshold-note")),
                rx.cond(
                    PersonalState.notify_type == "email",
                    forms.field(N_("Notification email"), "notification_email", type="email",
                                default=PersonalState.notification_email,
                                hint=N_("Leave empty to use the account's email")),
                    rx.vstack(
                        forms.field(N_("Webhook URL"), "webhook_url", type="url", default=PersonalState.webhook_url),
                        forms.field(N_("Webhook secret"), "webhook_secret", type="password",
                                    hint=N_("Signs each call (HMAC-SHA256). Leave empty to keep the current one.")),
                        rx.cond(PersonalState.has_webhook_secret,
                                rx.badge(_("A secret is set"), color_scheme="green", id="secret-set")),
                        spacing="3", width="100%",
                    ),
                ),
                _save(N_("Save"), "notify", "save-notify"),
                spacing="3", width="100%",
            ),
            on_submit=PersonalState.save_notifications, reset_on_submit=False, width="100%",
            key=PersonalState.webhook_url + PersonalState.threshold_shown + PersonalState.notification_email,
        ),
        section_id="notifications",
    )


def _appearance() -> rx.Component:
    return _section(
        N_("Language and theme"),
        rx.flex(
            rx.select.root(
                rx.select.trigger(id="pref-lang", aria_label=_("Language")),
                rx.select.content(*[rx.select.item(name, value=code) for code, name in LANGUAGES.items()]),
                value=PersonalState.lang, on_change=PersonalState.set_lang,
            ),
            rx.segmented_control.root(
                rx.segmented_control.item(_("Light"), value="light", on_click=set_color_mode("light"),
                                          id="theme-light"),
                rx.segmented_control.item(_("Dark"), value="dark", on_click=set_color_mode("dark"), id="theme-dark"),
                rx.segmented_control.item(_("System"), value="system", on_click=set_color_mode("system"),
                                          id="theme-system"),
                value=color_mode,
            ),
            spacing="3",
            wrap="wrap",
            align="center",
        ),
        section_id="appearance",
    )


@template("/setting", "Personal settings", on_load=PersonalState.on_load)
def personal_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Personal settings"), size="6"),
        rx.grid(_profile(), _access_token(), _password(), _notifications(),
                columns=rx.breakpoints(initial="1", lg="2"), spacing="4", width="100%"),
        security_card(),
        oauth_bindings(),
        _appearance(),
        spacing="4",
        width="100%",
    )
