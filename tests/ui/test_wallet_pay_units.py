"""Pure helpers of the wallet's payment state: the check-in calendar and the Epay form post."""

import json

from newapi_ui.states.wallet_pay import month_grid, submit_form_script


def test_month_grid_starts_on_the_right_weekday_and_marks_check_ins():
    cells = month_grid(2026, 12, {"2026-12-01", "2026-12-31"})
    blanks = [c for c in cells if not c["day"]]
    assert len(blanks) == 1  # 1 December 2026 is a Tuesday; the grid starts on Monday
    days = [c for c in cells if c["day"]]
    assert len(days) == 31 and days[0]["date"] == "2026-12-01"
    assert [c["date"] for c in days if c["done"]] == ["2026-12-01", "2026-12-31"]
    assert len(month_grid(2024, 2, set())) - 3 == 29  # leap February from a Thursday


def test_submit_form_script_escapes_values():
    script = submit_form_script("https://pay.example.com/submit.php", {"name": "a'b\"c</script>", "money": "7.30"})
    assert json.dumps("a'b\"c</script>") in script and "f.submit()" in script
    assert "https://pay.example.com/submit.php" in script
