"""Price-list conversions and the difference rules of ratio sync (pure functions)."""

from __future__ import annotations

import orjson
import pytest

from backend.services import ratio_diff
from backend.services.errors import ServiceError
from backend.services.ratio_convert import from_models_dev, from_openrouter, from_pricing_list


def test_models_dev_takes_the_cheapest_non_zero_price():
    doc = {"b": {"models": {"m": {"cost": {"input": 3, "output": 15, "cache_read": 0.3}}}},
           "a": {"models": {"m": {"cost": {"input": 0}}, "free": {"cost": {"input": 0}},
                            "odd": {"cost": {"input": 0, "output": 2}}}},
           "c": {"models": {"m": {"cost": {"input": 5, "output": 10}}}}}
    got = from_models_dev(orjson.dumps(doc))
    assert got["model_ratio"] == {"m": 1.5, "free": 0.0}
    assert got["completion_ratio"] == {"m": 5.0}
    assert got["cache_ratio"] == {"m": 0.1}
    with pytest.raises(ServiceError):
        from_models_dev(b"{}")


def test_openrouter_skips_variable_and_unpriced_models():
    doc = {"data": [{"id": "var", "pricing": {"prompt": "-1", "completion": "-1"}},
                    {"id": "free", "pricing": {"prompt": "0", "completion": "0"}},
                    {"id": "out-only", "pricing": {"prompt": "0", "completion": "0.00001"}},
                    {"id": "junk", "pricing": {"prompt": "x", "completion": "y"}}]}
    assert from_openrouter(orjson.dumps(doc)) == {"model_ratio": {"free": 0.0}}


def test_pricing_list_splits_per_call_and_token_models():
    got = from_pricing_list([{"model_name": "a", "quota_type": 1, "model_price": 0.1, "model_ratio": 9},
                             {"model_name": "b", "quota_type": 0, "model_ratio": 2, "cache_ratio": 0.5},
                             {"model_name": ""}, "junk"])
    assert got == {"model_price": {"a": 0.1}, "model_ratio": {"b": 2.0}, "cache_ratio": {"b": 0.5}}


def test_a_fixed_price_hides_the_token_ratios():
    eff = ratio_diff.effective({"model_price": {"m": 1}, "model_ratio": {"m": 2, "n": -1, "o": float("nan")},
                                "completion_ratio": {"m": 3, "lonely": 2}})
    assert eff["model_price"] == {"m": 1.0} and eff["model_ratio"] == {} and eff["completion_ratio"] == {}


def test_sources_that_agree_everywhere_are_left_out():
    local = ratio_diff.effective({"model_ratio": {"m": 1.0, "k": 2.0}})
    agree = ratio_diff.effective({"model_ratio": {"m": 1.0, "k": 2.0}})
    other = ratio_diff.effective({"model_ratio": {"m": 1.5, "k": 2.0}})
    diffs = ratio_diff.differences(local, [("agree", agree), ("other", other)])
    assert diffs == {"m": {"model_ratio": {"current": 1.0, "upstreams": {"other": 1.5}, "confidence": {"other": True}}}}
