"""Ratios and prices: defaults, hard-coded completion rules, option overlays, unknown models."""

import pytest

from backend.cache import UserInfo
from backend.services import billing, options, ratios
from backend.services.errors import ServiceError


def _user(setting: dict | None = None, group: str = "default") -> UserInfo:
    return UserInfo(id=1, username="u", role=1, status=1, group=group, quota=0, email="", setting=setting or {})


@pytest.mark.parametrize(
    ("model", "ratio", "completion", "cache"),
    [
        ("gpt-4o", 1.25, 4, 0.5),
        ("gpt-4o-2024-05-13", 2.5, 3, 1.0),
        ("gpt-4o-mini", 0.075, 4, 0.5),
        ("chatgpt-4o-latest", 2.5, 3, 1.0),
        ("gpt-4.1", 1.0, 4, 0.25),
        ("gpt-5", 0.625, 8, 0.1),
        ("o1", 7.5, 4, 0.5),
        ("o3-mini", 0.55, 4, 0.5),
        ("o4-mini", 0.55, 4, 0.25),
        ("gpt-4", 15, 2, 1.0),
        ("gpt-4-turbo", 5, 3, 1.0),
        ("gpt-3.5-turbo", 0.25, 3, 1.0),
        ("claude-3-5-sonnet-20241022", 1.5, 5, 0.1),
        ("claude-sonnet-4-5-20250929", 1.5, 5, 0.1),
        ("claude-opus-4-1-20250805", 7.5, 5, 0.1),
        ("gemini-2.0-flash", 0.05, 4, 1.0),
        ("gemini-2.5-pro", 0.625, 8, 0.25),
        ("deepseek-chat", 0.135, 4, 0.25),
        ("deepseek-reasoner", 0.275, 4, 0.25),
    ],
)
def test_defaults(sqlite_storage, model, ratio, completion, cache):
    assert ratios.model_ratio(model) == ratio
    assert ratios.completion_ratio(model) == completion
    assert ratios.cache_ratio(model) == cache


def test_create_cache_ratio_defaults(sqlite_storage):
    assert ratios.create_cache_ratio("claude-3-7-sonnet-20250219") == 1.25
    assert ratios.create_cache_ratio("some-model") == 1.25


def test_thinking_budget_and_gizmo_names_share_an_entry(sqlite_storage):
    assert ratios.model_ratio("gemini-2.5-flash-thinking-2048") == 0.15
    assert ratios.model_ratio("gemini-2.5-pro-thinking-128") == 0.625
    assert ratios.model_ratio("gemini-2.5-flash-lite-thinking-512") == 0.05
    assert ratios.model_price("gpt-4-gizmo-g-abc123") == 0.1
    assert ratios.model_ratio("gpt-4o-gizmo-g-xyz") == 1.25


def test_prices(sqlite_storage):
    assert ratios.model_price("dall-e-3") == 0.04
    assert ratios.model_price("mj_upscale") == 0.05
    assert ratios.model_price("mj_inpaint") == 0
    assert ratios.model_price("gpt-4o") is None


def test_unknown_model_has_no_ratio(sqlite_storage):
    assert ratios.model_ratio("no-such-model") is None
    assert ratios.completion_ratio("no-such-model") == 1
    assert ratios.cache_ratio("no-such-model") == 1


def test_option_is_laid_over_defaults(sqlite_storage):
    options.update("ModelRatio", '{"my-model": 2, "gpt-4o": 3}')
    assert ratios.model_ratio("my-model") == 2
    assert ratios.model_ratio("gpt-4o") == 3
    assert ratios.model_ratio("gpt-4o-mini") == 0.075  # untouched default
    options.update("ModelPrice", '{"my-image": 0.02}')
    assert ratios.model_price("my-image") == 0.02
    options.update("CacheRatio", '{"gpt-4o": 0.3}')
    assert ratios.cache_ratio("gpt-4o") == 0.3


def test_locked_completion_rule_beats_option_unlocked_does_not(sqlite_storage):
    options.update("CompletionRatio", '{"claude-3-5-sonnet-20241022": 2, "gpt-4o": 6, "my-model": 1.5, "x/y": 9,'
                                      ' "o1": 1}')
    assert ratios.completion_ratio("claude-3-5-sonnet-20241022") == 5  # locked
    assert ratios.completion_ratio("o1") == 4  # locked
    assert ratios.completion_ratio("gpt-4o") == 6  # unlocked: the option wins
    assert ratios.completion_ratio("my-model") == 1.5
    assert ratios.completion_ratio("x/y") == 9


def test_group_ratio_and_group_group_ratio(sqlite_storage):
    assert ratios.group_ratio("default") == 1
    assert ratios.group_ratio("unknown-group") == 1
    options.update("GroupRatio", '{"default": 1, "vip": 0.5}')
    assert ratios.group_ratio("vip") == 0.5
    options.update("GroupGroupRatio", '{"svip": {"vip": 0.25}}')
    assert ratios.group_ratio("vip", user_group="svip") == 0.25
    assert ratios.group_ratio("vip", user_group="default") == 0.5


def test_option_json_is_parsed_once_per_value(sqlite_storage, monkeypatch):
    calls = []
    real = ratios._numbers
    monkeypatch.setattr(ratios, "_numbers", lambda raw: calls.append(raw) or real(raw))
    options.update("ModelRatio", '{"m1": 2}')
    for _ in range(50):
        assert ratios.model_ratio("m1") == 2
    assert calls == ['{"m1": 2}']
    options.update("ModelRatio", '{"m1": 4}')
    assert ratios.model_ratio("m1") == 4
    assert len(calls) == 2


def test_pricing_for_unknown_model_is_500(sqlite_storage):
    with pytest.raises(ServiceError) as err:
        billing.pricing_for("no-such-model", "default", _user())
    assert err.value.status == 500
    assert "ratio or price not set" in err.value.message


def test_pricing_for_unknown_model_in_self_use_mode(sqlite_storage):
    options.update("SelfUseModeEnabled", "true")
    assert billing.pricing_for("no-such-model", "default", _user()).model_ratio == 37.5


def test_pricing_for_unknown_model_with_user_setting(sqlite_storage):
    p = billing.pricing_for("no-such-model", "default", _user({"accept_unset_model_ratio_model": True}))
    assert p.model_ratio == 37.5 and p.model_price is None


def test_pricing_for_known_models(sqlite_storage):
    options.update("GroupRatio", '{"default": 1, "vip": 2}')
    p = billing.pricing_for("gpt-4o", "vip", _user())
    assert (p.model_ratio, p.completion_ratio, p.group_ratio, p.cache_ratio, p.model_price) == (1.25, 4, 2, 0.5, None)
    assert not p.free
    priced = billing.pricing_for("dall-e-3", "default", _user())
    assert priced.model_price == 0.04 and priced.uses_price
    assert billing.pricing_for("mj_inpaint", "default", _user()).free


def test_default_json_round_trips():
    import orjson

    assert orjson.loads(ratios.default_json("ModelRatio"))["gpt-4o"] == 1.25
    assert orjson.loads(ratios.default_json("GroupRatio")) == {"default": 1, "vip": 1, "svip": 1}


@pytest.mark.parametrize(
    ("model", "base"),
    [("o3-mini-high", "o3-mini"), ("gpt-5-minimal", "gpt-5"), ("claude-sonnet-4-5-thinking", "claude-sonnet-4-5"),
     ("gpt-5.1-xhigh", "gpt-5.1"), ("o4-mini-low", "o4-mini")],
)
def test_parameter_suffixes_fall_back_to_the_base_model(sqlite_storage, model, base):
    assert ratios.model_ratio(model) == ratios.model_ratio(base) is not None
    assert ratios.cache_ratio(model) == ratios.cache_ratio(base)
    assert ratios.completion_ratio(model) == ratios.completion_ratio(base)


def test_an_exact_entry_beats_the_suffix_fallback(sqlite_storage):
    options.update("ModelRatio", '{"o3-mini-high": 9}')
    assert ratios.model_ratio("o3-mini-high") == 9
    assert ratios.model_ratio("no-such-model-high") is None
