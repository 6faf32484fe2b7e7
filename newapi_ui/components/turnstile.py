"""Cloudflare's Turnstile widget, shown when the admin switched TurnstileCheckEnabled on. Inside a
form it adds the hidden `cf-turnstile-response` field, which the login script and the console's
register and reset handlers send to the server for checking."""

from __future__ import annotations

import reflex as rx

from backend.services import turnstile
from backend.services.errors import ServiceError

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


# The widget's current token, for handlers that are not a form submit (rx.call_script callback).
READ_TOKEN = "(document.querySelector('input[name=\"" + FIELD + "\"]') || {}).value || ''"
# A token is good for one siteverify call: the widget gets a fresh one after each use.
RESET = "window.turnstile && window.turnstile.reset()"


async def refusal(token: str, ip: str) -> str | None:
    """The console's check of a Turnstile token (the same as the API's): None when it passes
    (or Turnstile is off), else the refusal's message."""
    try:
        await turnstile.check(token, ip)
    except ServiceError as exc:
        return exc.message
    return None
