"""Pure helpers of the channel tools, Models, Performance and Ratio sync page states."""

from __future__ import annotations

import pytest

from newapi_ui.states.channel_tools import progress_text, toggled
from newapi_ui.states.models import catalogue_locale, model_fields
from newapi_ui.states.performance import flatten, fmt_bytes, fmt_duration
from newapi_ui.states.ratio_sync import diff_rows, picked_changes, upstreams_for


@pytest.mark.parametrize(("event", "expected"), [
    ({"status": "downloading", "total": 200, "completed": 50}, ("downloading", 25)),
    ({"status": "pulling manifest"}, ("pulling manifest", -1)),
    ({"status": "x", "total": 0, "completed": 5}, ("x", -1)),
    ({"total": 10, "completed": 99}, ("", 100)),
])
def test_progress_text(event, expected):
    assert progress_text(event) == expected


def test_toggled():
    assert toggled(["a", "b"], "a") == ["b"] and toggled(["b"], "a") == ["b", "a"]


@pytest.mark.parametrize(("lang", "expected"), [("en", "en"), ("zh_CN", "zh"), ("zh_TW", "zh"), ("ja", "ja"),
                                                ("fr", "")])
def test_catalogue_locale(lang, expected):
    assert catalogue_locale(lang) == expected


def test_model_fields():
    got = model_fields({"model_name": " m ", "tags": " a, ,b ", "vendor_id": "7", "name_rule": "2", "status": "on"})
    assert got["model_name"] == "m" and got["tags"] == "a,b" and got["vendor_id"] == 7 and got["name_rule"] == 2
    assert got["status"] == 1 and got["sync_official"] == 0
    assert model_fields({"vendor_id": "x", "name_rule": ""})["vendor_id"] == 0


def test_performance_formats():
    assert fmt_bytes(512) == "512 B" and fmt_bytes(3 * 1024 * 1024) == "3.0 MiB"
    assert fmt_duration(59) == "00:00:59" and fmt_duration(90061) == "1d 01:01:01"
    assert flatten({"a": {"b": 1.5, "c": [1, 2]}, "d": True}) == [("a.b", "1.5"), ("a.c", "1, 2"), ("d", "True")]


def test_ratio_sync_helpers():
    sources = [{"id": 3, "name": "peer", "base_url": "https://peer"}, {"id": -101, "name": "md", "base_url": "https://models.dev"},
               {"id": 4, "name": "unused", "base_url": "https://x"}]
    assert upstreams_for(sources, ["3", "-101"], " ") == [
        {"id": 3, "name": "peer", "base_url": "https://peer", "endpoint": "/api/ratio_config"},
        {"id": -101, "name": "md", "base_url": "https://models.dev", "endpoint": "/api.json"}]
    diffs = {"m": {"model_ratio": {"current": 1.5, "upstreams": {"a": 2, "b": "same"}},
                   "model_price": {"current": None, "upstreams": {"a": None, "b": 0.5}}}}
    rows = diff_rows(diffs, "a")
    assert [(r["field"], r["current"], r["theirs"], r["pickable"]) for r in rows] == [
        ("model_price", "—", "—", ""), ("model_ratio", "1.5", "2", "1")]
    keys = [r["key"] for r in rows]
    assert picked_changes(diffs, "a", keys) == [{"model": "m", "field": "model_ratio", "value": 2}]
    assert picked_changes(diffs, "b", keys) == [{"model": "m", "field": "model_price", "value": 0.5}]


def test_split_items():
    from newapi_ui.states.prefill_groups import split_items

    assert split_items(" a, b\nb\n\n c ,") == ["a", "b", "c"] and split_items("") == []


def test_uptime_rows():
    from newapi_ui.states.home import uptime_rows

    groups = [{"categoryName": "Core", "monitors": [{"name": "gw", "status": 1, "uptime": 0.99874},
                                                   {"name": "db", "status": 9, "uptime": None}]},
              {"categoryName": "Empty", "monitors": []}]
    assert uptime_rows(groups, str.upper) == [
        {"category": "Core", "name": "gw", "status": "UP", "color": "green", "uptime": "99.87%"},
        {"category": "Core", "name": "db", "status": "DOWN", "color": "red", "uptime": "0.00%"}]
