"""Languages, gettext catalogs (under `translations/`) and locale-aware formatting, without Reflex.

Text built on the server (toasts, service errors) goes through `translator(lang)`; numbers, money
and dates are formatted with babel for the current language. The reactive `_()` for page text is
in `newapi_ui/i18n.py`, which sits above the language state (`states/i18n.py`) that uses this module.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).resolve().parent.parent / "translations"
DOMAIN = "messages"
DEFAULT_LANG = "en"
# Language code -> its own name, shown in the language menu.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "zh_CN": "简体中文",
    "zh_TW": "繁體中文",
    "fr": "Français",
    "ja": "日本語",
}
# Chinese: traditional scripts and regions go to zh_TW, every other variant to zh_CN.
_ZH_TRADITIONAL = {"zh_hant", "zh_tw", "zh_hk", "zh_mo"}


def N_(msgid: str) -> str:  # noqa: N802 - the gettext convention for "mark for extraction only"
    """Mark a string for extraction without translating it here (it is translated where shown)."""
    return msgid


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT_LANG:
        return gettext.NullTranslations()
    mo = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not mo.exists():
        raise RuntimeError(f"{mo} is missing: run `make setup` (pybabel compile -d translations)")
    with mo.open("rb") as fh:
        return gettext.GNUTranslations(fh)


def translator(lang: str) -> Callable[[str], str]:
    """gettext for one language; unknown languages fall back to English."""
    return _catalog(lang if lang in LANGUAGES else DEFAULT_LANG).gettext


def translations_of(msgid: str) -> dict[str, str]:
    return {lang: translator(lang)(msgid) for lang in LANGUAGES}


def normalise(code: str) -> str | None:
    """Map a language tag or a cookie value to one of LANGUAGES, or None."""
    code = code.strip().replace("-", "_")
    if not code:
        return None
    if code in LANGUAGES:
        return code
    low = code.lower()
    if any(low == t or low.startswith(t + "_") for t in _ZH_TRADITIONAL):
        return "zh_TW"
    if low == "zh" or low.startswith("zh_"):
        return "zh_CN"
    try:
        negotiated = Locale.negotiate([code], list(LANGUAGES), sep="_")
    except (ValueError, UnknownLocaleError):
        return None
    return str(negotiated) if negotiated and str(negotiated) in LANGUAGES else None


def negotiate(accept_language: str) -> str:
    """Best console language for an Accept-Language header, by q-value, else English."""
    prefs: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            k, _eq, v = p.strip().partition("=")
            if k == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        if tag and tag != "*" and q > 0:
            prefs.append((-q, i, tag))
    for _q, _i, tag in sorted(prefs):
        lang = normalise(tag)
        if lang:
            return lang
    return DEFAULT_LANG


def _locale(lang: str) -> Locale:
    return Locale.parse(lang if lang in LANGUAGES else DEFAULT_LANG)


def fmt_number(value: int | float | Decimal, lang: str) -> str:
    return format_decimal(value, locale=_locale(lang))


# US dollars are written one way per language, on purpose: "$" everywhere as new-api's console does
# (CLDR would give "US$" in Chinese and "$US" in French, so two languages read differently for one
# amount), the number with the language's own separators, and French placing the sign after the
# number as French text does. Every other language: "$" first.
_MONEY_PATTERN: dict[str, str] = {"fr": "{number}\u00a0$"}
MONEY_PLACES = 2  # balances, prices
COST_PLACES = 6  # one call's cost: new-api's log table shows six decimals
MAX_PLACES = 6  # the finest a quota unit gets at the default 500,000 per dollar ($0.000002)


def money_places(amount: Decimal, places: int = MONEY_PLACES) -> int:
    """Decimals to show: `places`, or, for a non-zero amount under one unit of the last place
    (under a cent at two places), all six trimmed of trailing zeros, so a real cost never reads as
    $0.00 nor gets rounded to a different one ($0.000076 stays $0.000076, not $0.0001)."""
    if not amount or abs(amount) >= Decimal(1).scaleb(-places) or places >= MAX_PLACES:
        return places
    fine = abs(amount).quantize(Decimal(1).scaleb(-MAX_PLACES), ROUND_HALF_UP)
    if not fine:
        return MAX_PLACES
    return max(places, -int(fine.normalize().as_tuple().exponent))


def fmt_money(amount: Decimal | float | int, lang: str, *, places: int = MONEY_PLACES) -> str:
    """US dollars in the language's number format (see _MONEY_PATTERN), with enough decimals."""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    shown = money_places(value, places)
    rounded = value.quantize(Decimal(1).scaleb(-shown), ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * shown if shown else "")
    number = format_decimal(abs(rounded), format=pattern, locale=_locale(lang), decimal_quantization=True)
    text = _MONEY_PATTERN.get(lang, "${number}").format(number=number)
    return "-" + text if rounded < 0 else text


def fmt_quota(quota: int, lang: str, *, per_unit: int, in_currency: bool, places: int = MONEY_PLACES) -> str:
    """Quota as new-api shows it: US dollars (quota / QuotaPerUnit) or raw quota units. Small
    amounts get more decimals (up to six), so a real cost never shows as $0.00."""
    if in_currency and per_unit > 0:
        return fmt_money(Decimal(quota) / Decimal(per_unit), lang, places=places)
    return fmt_number(quota, lang)


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return False
    return True


def zone(name: str) -> tzinfo:
    """The browser's IANA time zone, or UTC when unknown or invalid."""
    return ZoneInfo(name) if name and valid_zone(name) else UTC


def fmt_datetime(ts: int, lang: str, tz: str = "") -> str:
    """A Unix time as a medium date and time for the language, in the browser's time zone
    (0 or less means unset: empty)."""
    if ts <= 0:
        return ""
    return format_datetime(datetime.fromtimestamp(ts, UTC), "medium", tzinfo=zone(tz), locale=_locale(lang))


def html_lang(lang: str) -> str:
    """BCP 47 tag for the `lang` attribute (it also picks the right CJK glyphs)."""
    return lang.replace("_", "-")
