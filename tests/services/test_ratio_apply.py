"""ratio_apply: picked ratio-sync values land in the option tables, the rest kept."""

from __future__ import annotations

import pytest

from backend.services import options, ratio_apply, ratios
from backend.services.errors import ServiceError


def test_apply_sets_only_the_picked_values(sqlite_storage):
    before = ratios.effective_map("ModelRatio")
    assert before  # the built-in table
    untouched = next(iter(before))
    assert ratio_apply.apply([{"model": "my-model", "field": "model_ratio", "value": 2.5},
                              {"model": "my-model", "field": "model_price", "value": 0.02}]) == 2
    assert ratios.effective_map("ModelRatio")["my-model"] == 2.5
    assert ratios.effective_map("ModelRatio")[untouched] == before[untouched]
    assert options.get_json("ModelPrice")["my-model"] == 0.02


@pytest.mark.parametrize("change", [
    {"model": "m", "field": "image_ratio", "value": 1},
    {"model": "", "field": "model_ratio", "value": 1},
    {"model": "m", "field": "model_ratio", "value": -1},
    {"model": "m", "field": "model_ratio", "value": "1"},
    {"model": "m", "field": "model_ratio", "value": float("nan")},
])
def test_apply_refuses_bad_changes(sqlite_storage, change):
    with pytest.raises(ServiceError):
        ratio_apply.apply([change])
    assert "m" not in ratios.effective_map("ModelRatio")
