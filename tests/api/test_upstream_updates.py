"""/api/channel/upstream_updates/{detect,detect_all,apply,apply_all}: the channel's model list
against its upstream's (a fake Ollama server's /api/tags), new-api's settings keys."""

from __future__ import annotations

import orjson
import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.cache import channels as cache
from backend.db import session_scope
from backend.models import Ability, Channel
from backend.models.enums import Role
from backend.services import upstream_models as um
from tests.fakes.ollama_admin import FakeOllama


@pytest.mark.parametrize(
    ("local", "upstream", "ignored", "mapping", "add", "remove"),
    [
        (["a", "b"], ["b", "c"], [], {}, ["c"], ["a"]),
        (["a"], ["a", "x-1", "x-2", "y"], ["regex:^x-"], {}, ["y"], []),
        (["alias"], ["real", "new"], ["new"], {"alias": "real"}, [], []),  # mapped: covered, alias kept
        (
            [" a ", "a", ""],
            ["a"],
            ["regex:("],
            {},
            [],
            [],
        ),  # blanks and duplicates; a bad regex ignores nothing
    ],
)
def test_pending_changes(local, upstream, ignored, mapping, add, remove):
    assert um.pending_changes(local, upstream, ignored, mapping) == (add, remove)


def _settings(cid: int) -> dict:
    with session_scope() as s:
        return orjson.loads(s.get(Channel, cid).other_settings or "{}")


def _models(cid: int) -> list[str]:
    with session_scope() as s:
        return s.get(Channel, cid).models.split(",")


def _channel(c, h, url: str, models: str, check: bool = True, **extra) -> int:
    body = {
        "name": "ol",
        "type": 4,
        "key": "k",
        "models": models,
        "base_url": url,
        "group": "default",
        "settings": orjson.dumps({um.CHECK: check}).decode(),
        **extra,
    }
    return data(c.post("/api/channel/", json=body, headers=h))["ids"][0]


def test_detect_then_apply(storage):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    with FakeOllama(models=["llama3", "qwen", "phi"]) as fake:
        cid = _channel(c, h, fake.url, "llama3,old-one")
        found = data(c.post("/api/channel/upstream_updates/detect", json={"id": cid}, headers=h))
        assert found["add_models"] == ["qwen", "phi"] and found["remove_models"] == ["old-one"]
        assert found["channel_id"] == cid and found["last_check_time"] > 0 and found["auto_added_models"] == 0
        assert _settings(cid)[um.DETECTED] == ["qwen", "phi"] and _models(cid) == ["llama3", "old-one"]

        out = data(
            c.post(
                "/api/channel/upstream_updates/apply",
                headers=h,
                json={
                    "id": cid,
                    "add_models": ["qwen", "not-pending"],
                    "ignore_models": ["phi"],
                    "remove_models": ["old-one"],
                },
            )
        )
        assert out["added_models"] == ["qwen"] and out["removed_models"] == ["old-one"]
        assert (
            out["ignored_models"] == ["phi"]
            and out["remaining_models"] == []
            and out["models"] == "llama3,qwen"
        )
        assert _settings(cid)[um.IGNORED] == ["phi"]
        with session_scope() as s:
            assert {a.model for a in s.exec(select(Ability).where(Ability.channel_id == cid))} == {
                "llama3",
                "qwen",
            }
        assert cache.pick("default", "qwen", 0, ()) is not None

        # phi stays ignored on the next check
        again = data(c.post("/api/channel/upstream_updates/detect", json={"id": cid}, headers=h))
        assert again["add_models"] == [] and again["remove_models"] == []


def test_detect_all_and_apply_all(storage):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    with FakeOllama(models=["a", "b"]) as fake:
        on = _channel(c, h, fake.url, "a,z")
        off = _channel(c, h, fake.url, "a", check=False)
        dead = _channel(c, h, "http://127.0.0.1:9", "a")
        summary = data(c.post("/api/channel/upstream_updates/detect_all", headers=h))
        assert summary["checked_channels"] == 2 and summary["changed_channels"] == 1
        assert summary["detected_add_models"] == 1 and summary["detected_remove_models"] == 1
        assert summary["failed_channel_ids"] == [dead]
        assert um.DETECTED not in _settings(off) and _settings(dead)[um.LAST_CHECK] > 0

        done = data(c.post("/api/channel/upstream_updates/apply_all", headers=h))
        assert done["processed_channels"] == 1 and done["added_models"] == 1 and done["removed_models"] == 1
        assert done["results"][0]["channel_id"] == on and _models(on) == ["a", "b"]
        assert data(c.post("/api/channel/upstream_updates/apply_all", headers=h))["processed_channels"] == 0


def test_refusals(sqlite_storage):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    assert (
        refused(c.post("/api/channel/upstream_updates/detect", json={}, headers=h), 400)
        == "invalid channel id"
    )
    refused(c.post("/api/channel/upstream_updates/detect", json={"id": 424242}, headers=h), 404)
    refused(c.post("/api/channel/upstream_updates/apply", json={"id": 424242}, headers=h), 404)
    refused(c.post("/api/channel/upstream_updates/apply", json={"id": 1, "add_models": "x"}, headers=h), 400)
    dead = _channel(c, h, "http://127.0.0.1:9", "a")
    assert "upstream request failed" in refused(
        c.post("/api/channel/upstream_updates/detect", json={"id": dead}, headers=h), 400
    )
