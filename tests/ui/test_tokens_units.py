"""The API keys page's pure helpers: expiry dates in the browser's zone, list fields, and the
group sentinel that stands for "the user's own group"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newapi_ui.states.tokens import OWN_GROUP, day_of, expiry_from, split_list


def test_expiry_is_the_end_of_the_day_in_the_browser_zone() -> None:
    assert expiry_from("2030-01-31", "") == int(datetime(2030, 1, 31, 23, 59, 59, tzinfo=UTC).timestamp())
    # Tokyo is 9 hours ahead: its day ends 9 hours earlier in UTC.
    assert expiry_from("2030-01-31", "Asia/Tokyo") == int(datetime(2030, 1, 31, 14, 59, 59, tzinfo=UTC).timestamp())
    # An unknown zone name falls back to UTC rather than failing.
    assert expiry_from("2030-01-31", "Not/AZone") == expiry_from("2030-01-31", "UTC")


def test_day_of_round_trips_in_the_same_zone() -> None:
    for tz in ("", "Asia/Tokyo", "America/Los_Angeles"):
        assert day_of(expiry_from("2031-07-04", tz), tz) == "2031-07-04"


@pytest.mark.parametrize("bad", ["", "31/01/2030", "2030-02-30", "tomorrow"])
def test_expiry_rejects_what_is_not_a_date(bad: str) -> None:
    with pytest.raises(ValueError):
        expiry_from(bad, "")


def test_split_list_accepts_commas_and_lines_without_blanks_or_repeats() -> None:
    assert split_list(" gpt-4o, gpt-4o-mini ,,gpt-4o\n claude ") == ["gpt-4o", "gpt-4o-mini", "claude"]
    assert split_list("10.0.0.0/8\n\n127.0.0.1") == ["10.0.0.0/8", "127.0.0.1"]
    assert split_list("  ") == []


def test_own_group_sentinel_is_not_a_group_name() -> None:
    assert OWN_GROUP and OWN_GROUP.strip() == OWN_GROUP and OWN_GROUP != "default"
