"""Money in the console: one format per language, and enough decimals that a real cost never reads
as $0.00 (issue #15, item 1)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backend.models.enums import LogType
from newapi_ui.i18n import COST_PLACES, fmt_money, fmt_quota, money_places
from newapi_ui.states.logs import cost_text

MONEY = {"per_unit": 500_000, "in_currency": True}


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "$210.00"), ("zh_CN", "$210.00"), ("zh_TW", "$210.00"), ("ja", "$210.00"), ("fr", "210,00 $"),
])
def test_one_money_format_per_language(lang: str, text: str) -> None:
    assert _plain(fmt_money(Decimal(210), lang)) == text


def test_small_amounts_get_enough_decimals() -> None:
    assert fmt_quota(38, "en", **MONEY) == "$0.000076"  # root's real cost, not $0.00
    assert fmt_quota(2_500, "en", **MONEY) == "$0.005"
    assert fmt_quota(1, "en", **MONEY) == "$0.000002"
    assert fmt_quota(0, "en", **MONEY) == "$0.00"
    assert fmt_quota(-38, "en", **MONEY) == "-$0.000076"
    assert fmt_quota(1_234_567, "en", **MONEY) == "$2.47"  # ordinary amounts keep two decimals
    assert _plain(fmt_quota(38, "fr", **MONEY)) == "0,000076 $"
    assert money_places(Decimal("0.004")) == 3
    assert money_places(Decimal("12.5")) == 2


def test_log_costs_have_six_decimals() -> None:
    assert fmt_quota(450_000, "en", **MONEY, places=COST_PLACES) == "$0.900000"
    assert fmt_quota(38, "ja", **MONEY, places=COST_PLACES) == "$0.000076"


def test_raw_units_when_the_site_shows_quota() -> None:
    assert fmt_quota(38, "en", per_unit=500_000, in_currency=False) == "38"


def test_system_rows_have_no_cost() -> None:
    def fmt(quota: int, places: int) -> str:
        return fmt_quota(quota, "en", **MONEY, places=places)

    assert cost_text({"type": LogType.CONSUME, "quota": 38}, fmt) == "$0.000076"
    assert cost_text({"type": LogType.CONSUME, "quota": 450_000}, fmt) == "$0.900000"
    assert cost_text({"type": LogType.REFUND, "quota": 38}, fmt) == "$0.000076"
    assert cost_text({"type": LogType.SYSTEM, "quota": 0}, fmt) == ""
    assert cost_text({"type": LogType.TOPUP, "quota": 0}, fmt) == ""  # a redemption: the amount is in its text
    assert cost_text({"type": LogType.MANAGE, "quota": 0}, fmt) == ""
    assert cost_text({"type": LogType.ERROR, "quota": 0}, fmt) == ""
