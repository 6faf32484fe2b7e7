"""Console translations: the reactive `_()` for page text, and the locale helpers of `locale.py`.

UI text is translated in the browser: `_()` turns a msgid into a tiny `{lang: text}` lookup keyed
by the language in `I18nState`, so switching language needs no server round trip and every page
bundle carries only its own strings. Pages import both from here; the language state itself uses
`locale.py`, which is why the two modules are apart (no import cycle).
"""

from __future__ import annotations

import reflex as rx

from newapi_ui.locale import (
    COST_PLACES,
    DEFAULT_LANG,
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    MAX_PLACES,
    MONEY_PLACES,
    N_,
    fmt_datetime,
    fmt_money,
    fmt_number,
    fmt_quota,
    html_lang,
    money_places,
    negotiate,
    normalise,
    translations_of,
    translator,
    valid_zone,
    zone,
)
from newapi_ui.states.i18n import I18nState

__all__ = [
    "_",
    'COST_PLACES',
    'DEFAULT_LANG',
    'DOMAIN',
    'LANGUAGES',
    'LOCALE_DIR',
    'MAX_PLACES',
    'MONEY_PLACES',
    'N_',
    'fmt_datetime',
    'fmt_money',
    'fmt_number',
    'fmt_quota',
    'html_lang',
    'money_places',
    'negotiate',
    'normalise',
    'translations_of',
    'translator',
    'valid_zone',
    'zone',
]


def _(msgid: str) -> rx.Var:
    """The text of `msgid` in the browser's current console language (a reactive Var)."""
    return rx.Var.create(translations_of(msgid))[I18nState.lang].to(str)
