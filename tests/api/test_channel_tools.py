"""POST /api/channel/copy/:id, GET /api/channel/tag/models, POST /api/token/batch/keys."""

from __future__ import annotations

from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.cache import channels as cache
from backend.db import session_scope
from backend.models import Ability, Channel
from backend.models.enums import Role


def test_copy_channel(storage):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    body = {"name": "main", "type": 1, "key": "sk-secret", "models": "gpt-4o,o3", "group": "default,vip",
            "tag": "t", "priority": 5}
    cid = data(c.post("/api/channel/", json=body, headers=h))["ids"][0]
    with session_scope() as s:
        row = s.get(Channel, cid)
        row.balance, row.used_quota, row.response_time, row.test_time = 12.5, 999, 300, 1234
        s.add(row)
    new_id = data(c.post(f"/api/channel/copy/{cid}", headers=h))["id"]
    assert new_id != cid
    with session_scope() as s:
        clone = s.get(Channel, new_id)
        assert clone.name == "main_复制" and clone.key == "sk-secret" and clone.priority == 5 and clone.tag == "t"
        assert (clone.balance, clone.used_quota, clone.response_time, clone.test_time) == (0, 0, 0, 0)
        assert len(s.exec(select(Ability).where(Ability.channel_id == new_id)).all()) == 4
    assert cache.get_channel(new_id) is not None  # routable at once
    kept = data(c.post(f"/api/channel/copy/{cid}?suffix=-b&reset_balance=false", headers=h))["id"]
    with session_scope() as s:
        assert s.get(Channel, kept).name == "main-b" and s.get(Channel, kept).used_quota == 999
    refused(c.post("/api/channel/copy/99999", headers=h), 404)


def test_tag_models(storage):
    c, h = app_client(), auth(make_user("adm", Role.ADMIN))
    for models in ("a,b", "a,b,c", "x"):
        data(c.post("/api/channel/", json={"name": "n", "type": 1, "key": "k", "models": models, "tag": "t"},
                    headers=h))
    data(c.post("/api/channel/", json={"name": "n", "type": 1, "key": "k", "models": "1,2,3,4", "tag": "other"},
                headers=h))
    assert data(c.get("/api/channel/tag/models?tag=t", headers=h)) == "a,b,c"
    assert data(c.get("/api/channel/tag/models?tag=none", headers=h)) == ""
    refused(c.get("/api/channel/tag/models", headers=h), 400)


def test_batch_keys_reveal_only_the_callers_own(storage):
    c = app_client()
    alice, bob = make_user("alice"), make_user("bob")
    mine = [data(c.post("/api/token/", json={"name": f"t{i}", "remain_quota": 1, "unlimited_quota": True,
                                             "expired_time": -1}, headers=auth(alice)))
            for i in range(2)]
    theirs = data(c.post("/api/token/", json={"name": "b", "unlimited_quota": True, "expired_time": -1},
                         headers=auth(bob)))
    ids = [t["id"] for t in data(c.get("/api/token/", headers=auth(alice)))["items"]]
    other = data(c.get("/api/token/", headers=auth(bob)))["items"][0]["id"]
    keys = data(c.post("/api/token/batch/keys", json={"ids": [*ids, other]}, headers=auth(alice)))["keys"]
    assert set(keys) == {str(i) for i in ids}
    for i in ids:
        full = data(c.post(f"/api/token/{i}/key", headers=auth(alice)))["key"]
        assert keys[str(i)] == full and full.startswith("sk-") and "*" not in full
    refused(c.post("/api/token/batch/keys", json={"ids": []}, headers=auth(alice)), 400)
    refused(c.post("/api/token/batch/keys", json={"ids": list(range(1, 102))}, headers=auth(alice)), 400)
    assert mine and theirs is not None
