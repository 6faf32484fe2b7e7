"""Only root may read channel keys, so only root may send a stored key somewhere new: an admin who
changes a channel's base URL, type, proxy or host-bearing `other` must enter the key again."""

from __future__ import annotations

import orjson
import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.db import session_scope
from backend.models import Channel
from backend.models.enums import Role
from backend.models.schemas.channel import ChannelUpdate
from backend.services import channels

SECRET = "sk-root-only-upstream-key-0001"
ORIGIN = "https://api.upstream.example"
EVIL = "https://collector.attacker.example"


def stored(cid: int) -> Channel:
    with session_scope() as s:
        row = s.get(Channel, cid)
        assert row is not None
        return row


@pytest.fixture
def setup(storage):
    root, admin = make_user("root", Role.ROOT), make_user("admin", Role.ADMIN)
    c = app_client()
    body = {"mode": "single", "channel": {"name": "main", "type": 1, "key": SECRET, "models": "gpt-4o",
                                          "base_url": ORIGIN, "setting": '{"proxy": "http://proxy.internal:3128"}'}}
    cid = data(c.post("/api/channel/", json=body, headers=auth(root)))["ids"][0]
    return c, root, admin, cid


def test_admin_cannot_point_the_stored_key_elsewhere(setup) -> None:
    c, _root, admin, cid = setup
    message = refused(c.put("/api/channel/", json={"id": cid, "base_url": EVIL}, headers=auth(admin)), 403)
    assert "base_url" in message and "root" in message
    assert stored(cid).base_url == ORIGIN and stored(cid).key == SECRET


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"type": 14}, "type"),  # another type: another default host
        ({"base_url": ""}, "base_url"),  # back to the type's default host is a move too
        ({"setting": '{"proxy": "http://attacker.example:8080"}'}, "setting.proxy"),
        ({"setting": "{}"}, "setting.proxy"),  # dropping the proxy changes the route as well
        ({"setting": {"proxy": "socks5://attacker.example:1080"}}, "setting.proxy"),
    ],
)
def test_every_destination_field_is_guarded(setup, change: dict, named: str) -> None:
    c, _root, admin, cid = setup
    before = stored(cid)
    assert named in refused(c.put("/api/channel/", json={"id": cid, **change}, headers=auth(admin)), 403)
    after = stored(cid)
    assert (after.type, after.base_url, after.setting) == (before.type, before.base_url, before.setting)


def test_appending_keys_does_not_unlock_a_move(setup) -> None:
    c, _root, admin, cid = setup
    body = {"id": cid, "base_url": EVIL, "key": "sk-attacker", "key_mode": "append"}
    refused(c.put("/api/channel/", json=body, headers=auth(admin)), 403)
    assert stored(cid).key == SECRET and stored(cid).base_url == ORIGIN


def test_root_may_move_the_channel(setup) -> None:
    c, root, _admin, cid = setup
    shown = data(c.put("/api/channel/", json={"id": cid, "base_url": EVIL + "/", "type": 14}, headers=auth(root)))
    assert shown["base_url"] == EVIL and stored(cid).key == SECRET


def test_admin_may_move_it_with_the_key_entered_again(setup) -> None:
    c, _root, admin, cid = setup
    body = {"id": cid, "base_url": "http://127.0.0.1:11434", "key": SECRET}  # a local Ollama is fine
    assert data(c.put("/api/channel/", json=body, headers=auth(admin)))["base_url"] == "http://127.0.0.1:11434"
    # a different key replaces the stored one: nothing stored travels
    data(c.put("/api/channel/", json={"id": cid, "base_url": EVIL, "key": "sk-admins-own"}, headers=auth(admin)))
    assert (stored(cid).base_url, stored(cid).key) == (EVIL, "sk-admins-own")


def test_admin_edits_that_keep_the_destination_are_free(setup) -> None:
    c, _root, admin, cid = setup
    # the console re-sends every field; unchanged destination fields (modulo a trailing slash) are no move
    same = {"id": cid, "name": "renamed", "type": 1, "base_url": ORIGIN + "/", "models": "gpt-4o,gpt-4o-mini",
            "setting": orjson.dumps({"proxy": "http://proxy.internal:3128", "thinking_to_content": True}).decode()}
    assert data(c.put("/api/channel/", json=same, headers=auth(admin)))["name"] == "renamed"
    data(c.put("/api/channel/", json={"id": cid, "other": "2025-01-01-preview"}, headers=auth(admin)))  # not a host here
    data(c.put("/api/channel/", json={"id": cid, "key": "sk-extra", "key_mode": "append"}, headers=auth(admin)))
    assert stored(cid).key == f"{SECRET}\nsk-extra"


def test_vertex_region_names_the_host(setup) -> None:
    c, root, admin, _cid = setup
    body = {"mode": "single", "channel": {"name": "vx", "type": 41, "key": '{"type": "service_account"}',
                                          "models": "gemini-2.5-pro", "other": "us-central1"}}
    vid = data(c.post("/api/channel/", json=body, headers=auth(root)))["ids"][0]
    assert "other" in refused(c.put("/api/channel/", json={"id": vid, "other": "attacker.example/x"},
                                    headers=auth(admin)), 403)
    data(c.put("/api/channel/", json={"id": vid, "other": "europe-west4"}, headers=auth(root)))


def test_service_default_is_the_strict_rule(setup) -> None:
    """Callers that do not say who acts (the console passes it) get the admin rule, not root's."""
    _c, _root, _admin, cid = setup
    with pytest.raises(channels.Forbidden):
        channels.update_channel(ChannelUpdate.model_validate({"id": cid, "base_url": EVIL}))
    channels.update_channel(ChannelUpdate.model_validate({"id": cid, "base_url": EVIL}), actor_is_root=True)
    assert stored(cid).base_url == EVIL
