"""The console language (the `lang` cookie once the user picks one, else the browser's
Accept-Language) and the browser's time zone, for dates."""

from __future__ import annotations

import json

import reflex as rx

from backend.services.errors import ServiceError
from newapi_ui.locale import LANGUAGES, fmt_datetime, html_lang, negotiate, normalise, translator, valid_zone


class I18nState(rx.State):
    """Root of every console state, so any handler knows the language it must answer in."""

    # Not a credential: a plain preference, readable by the page like any rx.Cookie.
    chosen_lang: str = rx.Cookie("", name="lang", max_age=365 * 24 * 3600, same_site="strict")

    # The browser's IANA zone name, reported by the page itself (the server cannot know it).
    time_zone: str = rx.Cookie("", name="tz", max_age=365 * 24 * 3600, same_site="strict")

    @rx.var(cache=False)
    def lang(self) -> str:
        return normalise(self.chosen_lang) or negotiate(self.router.headers.accept_language)

    @rx.var(cache=False)
    def lang_tag(self) -> str:
        return html_lang(self.lang)

    @rx.event
    def set_time_zone(self, name: str) -> None:
        if isinstance(name, str) and name and name != self.time_zone and valid_zone(name):
            self.time_zone = name

    @rx.event
    def set_lang(self, lang: str):  # noqa: ANN201
        if lang in LANGUAGES:
            self.chosen_lang = lang
        return self.sync_html_lang()

    @rx.event
    def sync_html_lang(self):  # noqa: ANN201
        """`<html lang>` is static in the built page: set it to the console's language."""
        return rx.call_script(f"document.documentElement.lang = {json.dumps(self.lang_tag)}")

    def tr(self, msgid: str) -> str:
        """Server-side gettext in the current language (for toasts and errors)."""
        return translator(self.lang)(msgid)

    def tr_error(self, exc: ServiceError) -> str:
        """A service's refusal in the current language: its catalog msgid translated, then its
        parameters filled in (backend/models/messages.py lists every msgid)."""
        return exc.translated(translator(self.lang))

    def fmt_datetime(self, ts: int) -> str:
        return fmt_datetime(ts, self.lang, self.time_zone)
