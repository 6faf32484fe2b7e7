"""Every console string is in the template and translated in every catalog; formatting follows the locale."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from newapi_ui.i18n import LANGUAGES, LOCALE_DIR, fmt_datetime, fmt_quota, negotiate, normalise, translator

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


def _ids(path: Path) -> set[str]:
    with path.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """What the code uses today, extracted the same way as translations/messages.pot."""
    out = tmp_path_factory.mktemp("pot") / "messages.pot"
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_", "-k", "N_", "-k", "tr",
        "--no-location", "-o", str(out), str(ROOT),
    ])
    ids = _ids(out)
    assert "Log in" in ids and "invalid username or password" in ids  # the extraction itself worked
    return ids


def test_pot_has_every_string_of_the_code(extracted: set[str]) -> None:
    """Leftover entries are harmless (pages are written in parallel); a missing one is a bug."""
    committed = _ids(LOCALE_DIR / "messages.pot")
    assert extracted - committed == set(), "strings missing from messages.pot: see translations/README.md"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_catalog_translates_every_string(lang: str, extracted: set[str]) -> None:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    done = {m.id for m in catalog if m.id and m.string and "fuzzy" not in m.flags}
    assert extracted - done == set(), f"{lang}: untranslated or fuzzy strings"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_compiled_catalog_is_current(lang: str) -> None:
    """The .mo the console loads (built by make) must carry the .po's translations."""
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    gettext = translator(lang)
    stale = [m.id for m in catalog if m.id and m.string and gettext(m.id) != m.string]
    assert stale == [], f"{lang}: messages.mo is older than messages.po (run make setup)"


def test_translator_falls_back_to_english() -> None:
    assert translator("ja")("Log in") == "ログイン"
    assert translator("xx")("Log in") == "Log in"


@pytest.mark.parametrize(("header", "lang"), [
    ("ja,en-US;q=0.9", "ja"),
    ("en-US,en;q=0.9,ja;q=0.8", "en"),
    ("de-DE,fr;q=0.8,en;q=0.5", "fr"),
    ("zh-CN,zh;q=0.9", "zh_CN"),
    ("zh-TW,zh;q=0.9", "zh_TW"),
    ("zh-HK", "zh_TW"),
    ("zh-Hant-TW", "zh_TW"),
    ("zh", "zh_CN"),
    ("en;q=0.1, ja;q=0.5", "ja"),
    ("fr;q=0, de", "en"),
    ("", "en"),
    ("*", "en"),
    ("garbage;;q=x", "en"),
])
def test_accept_language_negotiation(header: str, lang: str) -> None:
    assert negotiate(header) == lang


def test_cookie_values_are_normalised() -> None:
    assert normalise("ja") == "ja"
    assert normalise("zh-TW") == "zh_TW"
    assert normalise("xx") is None
    assert normalise("") is None


def test_quota_money_and_dates_follow_the_locale() -> None:
    money = {"per_unit": 500000, "in_currency": True}
    assert fmt_quota(1_234_567_890, "en", **money) == "$2,469.14"
    assert fmt_quota(1_234_567_890, "fr", **money).replace("\u202f", " ").replace("\xa0", " ") == "2 469,14 $"
    assert fmt_quota(1_234_567_890, "ja", **money) == "$2,469.14"
    assert fmt_quota(1_234_567_890, "zh_TW", **money) == "$2,469.14"
    assert fmt_quota(1_234_567, "fr", per_unit=500000, in_currency=False).replace("\u202f", " ") == "1 234 567"
    assert fmt_quota(1_234_567, "en", per_unit=500000, in_currency=False) == "1,234,567"
    assert fmt_datetime(0, "en") == ""
    assert fmt_datetime(1_700_000_000, "en") == "Nov 14, 2023, 10:13:20\u202fPM"
    assert fmt_datetime(1_700_000_000, "ja") == "2023/11/14 22:13:20"
    assert fmt_datetime(1_700_000_000, "ja", "Asia/Tokyo") == "2023/11/15 7:13:20"
    assert fmt_datetime(1_700_000_000, "fr", "Europe/Paris") == "14 nov. 2023, 23:13:20"
    assert fmt_datetime(1_700_000_000, "ja", "Not/AZone") == "2023/11/14 22:13:20"  # unknown zone: UTC
