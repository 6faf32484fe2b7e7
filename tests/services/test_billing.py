"""Quota formulas, worked by hand in the tables (no database needed)."""

import pytest

from backend.services import options
from backend.services.billing import ZERO_USAGE_NOTE, Pricing, Usage, compute_quota, estimate_pre_consume

GPT4O = Pricing(model_ratio=1.25, completion_ratio=4, group_ratio=1, cache_ratio=0.5)
SONNET = Pricing(model_ratio=1.5, completion_ratio=5, group_ratio=1, cache_ratio=0.1, create_cache_ratio=1.25)
DEEPSEEK = Pricing(model_ratio=0.135, completion_ratio=4, group_ratio=1, cache_ratio=0.25)
DALLE3 = Pricing(model_ratio=0, completion_ratio=1, group_ratio=1, model_price=0.04)


@pytest.mark.parametrize(
    ("pricing", "usage", "expected"),
    [
        # gpt-4o, 1000 prompt of which 200 cached, 500 completion:
        # (800 + 200·0.5 + 500·4)·1.25 = 2900·1.25 = 3625
        (GPT4O, Usage(1000, 500, cached_tokens=200), 3625),
        # the same in a 0.5 group: 1812.5 rounds half away from zero to 1813
        (Pricing(1.25, 4, 0.5, 0.5), Usage(1000, 500, cached_tokens=200), 1813),
        # no cache: (1000 + 2000)·1.25 = 3750
        (GPT4O, Usage(1000, 500), 3750),
        # OpenAI semantics with cache writes (P includes C and W):
        # (1000−200−100) + 200·0.5 + 100·1.25 = 700 + 100 + 125 = 925, ratio 1
        (Pricing(1, 1, 1, 0.5, 1.25), Usage(1000, 0, cached_tokens=200, cache_write_tokens=100), 925),
        # Claude semantics (P excludes C and W): 1000 + 2000·0.1 + 500·1.25 + 300·5 = 3325; ·1.5 = 4987.5 → 4988
        (SONNET, Usage(1000, 300, cached_tokens=2000, cache_write_tokens=500, semantics="anthropic"), 4988),
        # Claude, fully cached prompt: 0 + 1000·0.1 + 0 + 10·5 = 150; ·1.5 = 225
        (SONNET, Usage(0, 10, cached_tokens=1000, semantics="anthropic"), 225),
        # deepseek-chat: (10000−4000) + 4000·0.25 + 1000·4 = 11000; ·0.135 = 1485
        (DEEPSEEK, Usage(10000, 1000, cached_tokens=4000), 1485),
        # decimal, not float: 25·0.1 = 2.5 exactly, half away from zero → 3 (float round() would give 2)
        (Pricing(0.1, 1, 1), Usage(25, 0), 3),
        # 0.1·3 = 0.3 exactly: 10 tokens → 3 (float 0.1*3*10 = 3.0000000000000004 would still be 3)
        (Pricing(0.1, 1, 3), Usage(10, 0), 3),
        # tiny call: 1·0.075 = 0.075 → 0, raised to the minimum of 1
        (Pricing(0.075, 4, 1), Usage(1, 0), 1),
        # free group: ratio 0, no minimum
        (Pricing(1.25, 4, 0), Usage(1000, 500), 0),
        # fixed price: 0.04·500000 = 20000 whatever the tokens
        (DALLE3, Usage(0, 0), 20000),
        (Pricing(0, 1, 1.5, model_price=0.04), Usage(10, 10), 30000),
        # unset-ratio model in self-use mode: 37.5·(100 + 100·1) = 7500
        (Pricing(37.5, 1, 1), Usage(100, 100), 7500),
    ],
)
def test_compute_quota(pricing, usage, expected):
    assert compute_quota(pricing, usage)[0] == expected


def test_zero_usage_costs_nothing_and_says_why():
    assert compute_quota(GPT4O, Usage(0, 0)) == (0, ZERO_USAGE_NOTE)
    assert compute_quota(SONNET, Usage(0, 0, semantics="anthropic")) == (0, ZERO_USAGE_NOTE)


def test_negative_or_inconsistent_usage_never_goes_below_zero():
    # cached > prompt (a buggy upstream): the uncached part is clamped at 0: 0 + 300·0.5 = 150·1.25 = 187.5 → 188
    assert compute_quota(GPT4O, Usage(100, 0, cached_tokens=300))[0] == 188


@pytest.mark.parametrize(
    ("pricing", "prompt", "max_tokens", "floor", "expected"),
    [
        (GPT4O, 100, None, "500", 625),  # max(100, 500)·1.25
        (GPT4O, 1000, 200, "500", 1500),  # (1000 + 200)·1.25
        (GPT4O, 100, 100, "500", 750),  # (500 + 100)·1.25
        (Pricing(1.25, 4, 2), 1000, 0, "500", 2500),  # group ratio 2
        (GPT4O, 100, None, "1000", 1250),  # PreConsumedQuota raised
        (Pricing(0.075, 4, 1), 3, 1, "500", 37),  # 501·0.075 = 37.575, truncated
        (DALLE3, 5000, 5000, "500", 20000),  # priced: the price
        (Pricing(1.25, 4, 0), 5000, 5000, "500", 0),  # free group
        (Pricing(0, 1, 1), 5000, 5000, "500", 0),  # free model
        (Pricing(0, 1, 1, model_price=0), 5000, 5000, "500", 0),  # price 0
    ],
)
def test_estimate_pre_consume(sqlite_storage, pricing, prompt, max_tokens, floor, expected):
    options.update("PreConsumedQuota", floor)
    assert estimate_pre_consume(pricing, prompt, max_tokens) == expected


def test_free_flags():
    assert Pricing(0, 1, 1).free
    assert Pricing(1, 1, 0).free
    assert Pricing(0, 1, 1, model_price=0).free
    assert not Pricing(0, 1, 1, model_price=0.01).free
    assert not GPT4O.free
