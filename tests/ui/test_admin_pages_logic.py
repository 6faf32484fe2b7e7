"""The admin pages' own helpers: quota entry as money or tokens, JSON checks before any save,
model-list merging, the redemption CSV, and the settings page never holding a secret's value."""

from __future__ import annotations

import csv
import io

import pytest

from backend.services import option_rules, options
from newapi_ui.components.json_editor import json_problem, pretty
from newapi_ui.states import admin_settings, settings_catalog
from newapi_ui.states.channels import TYPE_CHOICES, merge
from newapi_ui.states.redemptions import keys_csv
from newapi_ui.states.users import money_text, quota_from


@pytest.mark.parametrize(("amount", "unit", "quota"), [
    ("5", "money", 2_500_000),
    ("0.000002", "money", 1),
    ("1,234.5", "money", 617_250_000),
    ("2500000", "tokens", 2_500_000),
    (" 7 ", "tokens", 7),
])
def test_quota_from_money_or_tokens(amount: str, unit: str, quota: int) -> None:
    assert quota_from(amount, unit, 500_000) == quota


@pytest.mark.parametrize("bad", ["", "abc", "NaN", "Infinity", "1e"])
def test_quota_from_refuses_non_numbers(bad: str) -> None:
    with pytest.raises(ValueError):
        quota_from(bad, "money", 500_000)


def test_money_text_round_trips_without_exponents() -> None:
    assert money_text(100_000_000, 500_000) == "200"
    assert money_text(1, 500_000) == "0.000002"
    assert money_text(750_000, 500_000) == "1.5"
    assert quota_from(money_text(123_456_789, 500_000), "money", 500_000) == 123_456_789  # 6 decimals: exact


def test_json_problem_names_the_fault() -> None:
    assert json_problem("") == "" and json_problem("  ") == ""
    assert json_problem('{"a": "b"}') == ""
    assert json_problem('{"a": ').startswith("line 1, column")
    assert json_problem("[1, 2]") == "object"
    assert json_problem("[1, 2]", expect=list) == ""
    assert pretty('{"a":1}') == '{\n  "a": 1\n}'
    assert pretty("not json") == "not json"


def test_merge_keeps_order_and_drops_duplicates() -> None:
    assert merge(["a", "b"], [" b", "c", "", "a", "c "]) == ["a", "b", "c"]


def test_type_choices_are_new_apis_ids() -> None:
    ids = dict(TYPE_CHOICES)
    assert ids["1"].endswith("OpenAI") and ids["14"].endswith("Anthropic") and ids["24"].endswith("Gemini")
    assert "0" not in ids


def test_keys_csv_has_one_row_per_key() -> None:
    rows = list(csv.reader(io.StringIO(keys_csv("promo, \"x\"", "$2.00", ["k1", "k2"]))))
    assert rows == [["name", "quota", "key"], ['promo, "x"', "$2.00", "k1"], ['promo, "x"', "$2.00", "k2"]]


def test_settings_page_never_holds_secret_values(sqlite_storage: object) -> None:
    options.update("SMTPToken", "smtp-secret")
    options.update("SystemName", "Mine")
    shown, secret_set = admin_settings._read()
    assert "smtp-secret" not in repr(shown)
    assert shown["SystemName"] == "Mine"
    assert secret_set["SMTPToken"] is True and secret_set["GitHubClientSecret"] is False
    assert not any(options.is_secret(k) for k in shown if k != "TurnstileSiteKey")  # published by /api/status
    assert all(options.is_secret(o.key) for o in admin_settings.SECRETS)


def test_every_guarded_switch_has_a_translatable_refusal() -> None:
    reasons = {reason for _needs, reason in option_rules.REQUIRES.values()} | {option_rules.PASSKEY_ORIGIN_REFUSAL}
    assert reasons <= set(settings_catalog.MESSAGES)


def test_a_switch_is_saved_after_the_settings_it_needs() -> None:
    state = admin_settings.AdminSettingsState()
    state._loaded = {"GitHubOAuthEnabled": "false", "GitHubClientId": ""}
    state.values = {"GitHubOAuthEnabled": "true", "GitHubClientId": "cid"}
    state.secret_input = {"GitHubClientSecret": "s3cret"}
    assert state._changes("oauth") == [("GitHubClientId", "cid"), ("GitHubClientSecret", "s3cret"),
                                       ("GitHubOAuthEnabled", "true")]
