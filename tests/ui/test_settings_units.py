"""The settings pages' own helpers: the price table's rows (unpriced models first and flagged) and
the option JSON it writes back, and the custom OAuth form's rows."""

from __future__ import annotations

import orjson
import pytest

from newapi_ui.states.custom_oauth_admin import row_of
from newapi_ui.states.ratio_table import build_rows, groups_json, is_unpriced, to_json


def test_rows_flag_served_models_without_any_price_and_list_them_first() -> None:
    overlays = {"ModelRatio": {"mine": 2}, "CompletionRatio": {"mine": 4, "other": 1.5}, "ModelPrice": {"img": 0.04}}
    used = {"mine", "gpt-4o", "nobody-knows", "img", "half"}
    builtin = {"gpt-4o": "×1.25", "nobody-knows": "", "img": "", "half": ""}
    rows = build_rows(overlays, used, builtin)
    assert [r["model"] for r in rows] == ["half", "nobody-knows", "gpt-4o", "img", "mine", "other"]
    by_name = {r["model"]: r for r in rows}
    assert by_name["half"]["unpriced"] == "1" and by_name["nobody-knows"]["unpriced"] == "1"
    assert by_name["gpt-4o"]["unpriced"] == "" and by_name["img"]["unpriced"] == ""
    assert by_name["other"]["used"] == "" and by_name["other"]["unpriced"] == ""  # priced or not, no channel
    assert by_name["mine"] | {} == {"model": "mine", "ratio": "2", "completion": "4", "price": "", "used": "1",
                                    "builtin": "", "unpriced": ""}
    assert by_name["img"]["price"] == "0.04"


def test_a_completion_ratio_alone_does_not_price_a_model() -> None:
    row = {"model": "m", "ratio": "", "completion": "2", "price": "", "used": "1", "builtin": ""}
    assert is_unpriced(row)
    assert not is_unpriced(row | {"price": "0.5"})
    assert not is_unpriced(row | {"used": ""})


def test_the_saved_json_holds_the_filled_cells_as_numbers() -> None:
    rows = [{"model": "a", "ratio": "1.25"}, {"model": "b", "ratio": " "}, {"model": "c", "ratio": "3"}]
    assert orjson.loads(to_json(rows, "ratio")) == {"a": 1.25, "c": 3}
    assert to_json(rows, "ratio") == '{"a":1.25,"c":3}'


@pytest.mark.parametrize("bad", ["x", "-1", "nan", "inf"])
def test_a_bad_cell_names_its_model(bad: str) -> None:
    with pytest.raises(ValueError, match="b"):
        to_json([{"model": "a", "ratio": "1"}, {"model": "b", "ratio": bad}], "ratio")
    with pytest.raises(ValueError, match="vip"):
        groups_json([{"group": "vip", "ratio": bad}])


def test_group_ratios_round_trip() -> None:
    assert orjson.loads(groups_json([{"group": "default", "ratio": "1"}, {"group": "vip", "ratio": "0.8"}])) == {
        "default": 1, "vip": 0.8}


def test_custom_provider_rows_never_carry_the_secret() -> None:
    row = row_of({"id": 3, "name": "Corp", "slug": "corp", "kind": "oauth_code", "enabled": True,
                  "client_id": "cid", "client_secret": "never"})
    assert row == {"id": "3", "name": "Corp", "slug": "corp", "kind": "oauth_code", "enabled": "1", "client_id": "cid"}
