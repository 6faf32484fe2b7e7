"""Cloudflare's Turnstile widget, shown when the admin switched TurnstileCheckEnabled on. Inside a
form it adds the hidden `cf-turnstile-response` field, which the login script and the console's
register and reset handlers send to the server for checking."""

from __future__ import annotations

import reflex as rx

SCRIPT_URL = "https://challenges.cloudflare.com/turnstile/v0/api.js"
FIELD = "cf-turnstile-response"


def widget(enabled: rx.Var, site_key: rx.Var) -> rx.Component:
    return rx.cond(
        enabled,
        rx.fragment(
            rx.script(src=SCRIPT_URL, custom_attrs={"async": True, "defer": True}),
            rx.el.div(class_name="cf-turnstile", custom_attrs={"data-sitekey": site_key}, id="turnstile"),
        ),
    )
