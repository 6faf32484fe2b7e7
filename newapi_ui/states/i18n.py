"""The console language: the `lang` cookie once the user picks one, else the browser's Accept-Language."""

from __future__ import annotations

import reflex as rx

from newapi_ui.i18n import LANGUAGES, negotiate, normalise, translator


class I18nState(rx.State):
    """Root of every console state, so any handler knows the language it must answer in."""

    # Not a credential: a plain preference, readable by the page like any rx.Cookie.
    chosen_lang: str = rx.Cookie("", name="lang", max_age=365 * 24 * 3600, same_site="strict")

    @rx.var(cache=False)
    def lang(self) -> str:
        return normalise(self.chosen_lang) or negotiate(self.router.headers.accept_language)

    @rx.event
    def set_lang(self, lang: str) -> None:
        if lang in LANGUAGES:
            self.chosen_lang = lang

    def tr(self, msgid: str) -> str:
        """Server-side gettext in the current language (for toasts and errors)."""
        return translator(self.lang)(msgid)
