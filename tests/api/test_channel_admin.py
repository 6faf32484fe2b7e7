"""`/api/channel/...` over HTTP: CRUD, batch modes, validation, tags, key secrecy, roles."""

from __future__ import annotations

from mgmt_helpers import app_client, auth, data, make_user, refused, verified_session
from sqlmodel import select

from backend.cache import channels as cache
from backend.db import session_scope
from backend.models import Ability, Channel
from backend.models.enums import Role

SECRET = "sk-very-secret-upstream-key-0001"


def channel(**extra) -> dict:
    return {"name": "main", "type": 1, "key": SECRET, "models": "gpt-4o,gpt-4o-mini", "group": "default", **extra}


def ability_count(channel_id: int, enabled: bool | None = None) -> int:
    with session_scope() as s:
        q = select(Ability).where(Ability.channel_id == channel_id)
        if enabled is not None:
            q = q.where(Ability.enabled == enabled)
        return len(s.exec(q).all())


def test_key_never_leaves_except_root_reveal(storage):
    root, admin = make_user("root", Role.ROOT), make_user("admin", Role.ADMIN)
    c = app_client()
    replies = [c.post("/api/channel/", json={"mode": "single", "channel": channel(tag="t1")}, headers=auth(admin))]
    cid = replies[0].json()["data"]["ids"][0]
    replies += [
        c.get("/api/channel/", headers=auth(admin)),
        c.get("/api/channel/?tag_mode=true", headers=auth(admin)),
        c.get(f"/api/channel/{cid}", headers=auth(admin)),
        c.get("/api/channel/search?keyword=main", headers=auth(admin)),
        c.get(f"/api/channel/search?keyword={SECRET}", headers=auth(admin)),
        c.put("/api/channel/", json={"id": cid, "name": "renamed"}, headers=auth(admin)),
        c.put("/api/channel/tag", json={"tag": "t1", "priority": 3}, headers=auth(admin)),
        c.post(f"/api/channel/{cid}/key", headers=auth(admin)),
    ]
    for r in replies:
        assert SECRET not in r.text, r.text
    assert data(replies[5])["total"] == 0  # searching by the key finds nothing: no key oracle
    refused(replies[-1], 403)  # admins may not reveal
    # root needs a session that passed secure verification (POST /api/verify) in the last 5 minutes
    assert "verification" in refused(c.post(f"/api/channel/{cid}/key", headers=auth(root)), 403)
    verified, headers = verified_session(root)
    assert data(verified.post(f"/api/channel/{cid}/key", headers=headers)) == {"key": SECRET}
    refused(verified.post("/api/channel/999/key", headers=headers), 404)


def test_roles(storage):
    user = make_user("user")
    c = app_client()
    for method, path in [("get", "/api/channel/"), ("get", "/api/channel/1"), ("post", "/api/channel/fix"),
                         ("get", "/api/channel/test/1"), ("get", "/api/channel/update_balance/1"),
                         ("get", "/api/channel/models_enabled"), ("delete", "/api/channel/disabled")]:
        refused(getattr(c, method)(path, headers=auth(user)), 403)
        assert c.request(method.upper(), path).status_code == 401


def test_create_modes(storage):
    admin = make_user("admin", Role.ADMIN)
    c = app_client()
    single = data(c.post("/api/channel/", json={"mode": "single", "channel": channel(key="a\nb")}, headers=auth(admin)))
    batch = data(c.post("/api/channel/", json={"mode": "batch", "channel": channel(key="k1\n\n k2 \nk3")},
                        headers=auth(admin)))
    multi = data(c.post("/api/channel/", json={"mode": "multi_to_single", "multi_key_mode": "polling",
                                                "channel": channel(key="m1\nm2")}, headers=auth(admin)))
    plain = data(c.post("/api/channel/", json=channel(key="p1\np2"), headers=auth(admin)))  # old body: one per line
    assert len(single["ids"]) == 1 and len(batch["ids"]) == 3 and len(multi["ids"]) == 1 and len(plain["ids"]) == 2
    with session_scope() as s:
        keys = {i: s.get(Channel, i).key for ids in (single, batch, multi, plain) for i in ids["ids"]}
        info = s.get(Channel, multi["ids"][0]).channel_info
    assert keys[single["ids"][0]] == "a\nb"
    assert [keys[i] for i in batch["ids"]] == ["k1", "k2", "k3"]
    assert keys[multi["ids"][0]] == "m1\nm2" and '"multi_key_mode":"polling"' in info
    assert [keys[i] for i in plain["ids"]] == ["p1", "p2"]
    assert all(ability_count(i) == 2 for i in keys)
    assert cache.get_channel(multi["ids"][0]).keys == ("m1", "m2")
    data(c.put("/api/channel/", json={"id": multi["ids"][0], "key": "m3", "key_mode": "append"}, headers=auth(admin)))
    assert cache.get_channel(multi["ids"][0]).keys == ("m1", "m2", "m3")
    assert '"multi_key_size":3' in data(c.get(f"/api/channel/{multi['ids'][0]}", headers=auth(admin)))["channel_info"]
    refused(c.post("/api/channel/", json={"mode": "weird", "channel": channel()}, headers=auth(admin)), 400)
    # Vertex AI keys are JSON service accounts: one object is one key, a batch is a JSON array
    sa = '{\n  "type": "service_account",\n  "project_id": "p"\n}'
    vertex = data(c.post("/api/channel/", json=channel(type=41, other="us-central1", key=sa), headers=auth(admin)))
    assert len(vertex["ids"]) == 1 and cache.get_channel(vertex["ids"][0]).keys == (sa,)
    many = data(c.post("/api/channel/", json={"mode": "batch", "channel": channel(
        type=41, other='{"default": "us-central1"}', key='[{"project_id": "a"}, {"project_id": "b"}]')},
        headers=auth(admin)))
    assert [cache.get_channel(i).keys for i in many["ids"]] == [('{"project_id":"a"}',), ('{"project_id":"b"}',)]
    msg = refused(c.post("/api/channel/", json={"mode": "batch", "channel": channel(type=41, other="r", key="x\ny")},
                         headers=auth(admin)), 400)
    assert "JSON array" in msg
    # express mode (settings.vertex_key_type = api_key): API keys, one a line, as for any kind
    express = data(c.post("/api/channel/", json={"mode": "batch", "channel": channel(
        type=41, other="global", key="AQ.k1\nAQ.k2", settings='{"vertex_key_type": "api_key"}')}, headers=auth(admin)))
    assert [cache.get_channel(i).keys for i in express["ids"]] == [("AQ.k1",), ("AQ.k2",)]
    msg = refused(c.post("/api/channel/", json={"mode": "single", "channel": channel(
        type=41, other='{"eu": "europe-west1"}', key=sa)}, headers=auth(admin)), 400)
    assert "default" in msg
    refused(c.post("/api/channel/", json={"mode": "single", "channel": channel(key="  ")}, headers=auth(admin)), 400)


def test_validation_messages(storage):
    admin = make_user("admin", Role.ADMIN)
    c = app_client()
    cases = [
        ({"model_mapping": "{oops"}, "model_mapping is not valid JSON"),
        ({"model_mapping": "[1, 2]"}, "model_mapping must be a JSON object"),
        ({"model_mapping": '{"a": 1}'}, "model_mapping values must be"),
        ({"status_code_mapping": '{"429": "abc"}'}, "status_code_mapping must map status codes"),
        ({"status_code_mapping": '{"429": 999}'}, "between 100 and 599"),
        ({"param_override": "true"}, "param_override must be a JSON object"),
        ({"header_override": '{"X": 1}'}, "header_override values must be strings"),
        ({"setting": "nope"}, "setting is not valid JSON"),
        ({"setting": '{"proxy": "ftp://p:1"}'}, "setting.proxy must be"),
        ({"settings": "[]"}, "settings must be a JSON object"),
        ({"base_url": "ftp://x"}, "base_url must start with http"),
        ({"weight": -1}, "weight must be"),
        ({"status": 9}, "status must be"),
        ({"group": ",".join(f"group{i}" for i in range(12))}, "group list is too long"),
        ({"models": "m" * 300}, "model name too long"),
        ({"weight": "heavy"}, "invalid channel field channel.weight"),
        ({"type": 41, "other": ""}, "Vertex AI channels need a deployment region"),
        ({"models": ""}, "choose at least one model"),  # new-api refuses a channel no request can reach
        ({"models": " , ,"}, "choose at least one model"),
    ]
    for extra, message in cases:
        msg = refused(c.post("/api/channel/", json={"mode": "single", "channel": channel(**extra)},
                             headers=auth(admin)), 400)
        assert message in msg, (extra, msg)
    with session_scope() as s:
        assert s.exec(select(Channel)).all() == []
    # JSON fields may also come as objects
    ok = data(c.post("/api/channel/", json={"mode": "single", "channel": channel(model_mapping={"gpt-4o": "x"})},
                     headers=auth(admin)))
    assert cache.get_channel(ok["ids"][0]).model_mapping == {"gpt-4o": "x"}
    refused(c.put("/api/channel/", json={"id": ok["ids"][0], "param_override": "[]"}, headers=auth(admin)), 400)
    assert "choose at least one model" in refused(
        c.put("/api/channel/", json={"id": ok["ids"][0], "models": ""}, headers=auth(admin)), 400)
    no_models = {k: v for k, v in channel().items() if k != "models"}
    assert "choose at least one model" in refused(
        c.post("/api/channel/", json={"mode": "single", "channel": no_models}, headers=auth(admin)), 400)
    refused(c.put("/api/channel/", json={"name": "no id"}, headers=auth(admin)), 400)
    refused(c.put("/api/channel/", json={"id": 999, "name": "x"}, headers=auth(admin)), 404)


def test_partial_update_keeps_key_and_toggles_abilities(storage):
    admin = make_user("admin", Role.ADMIN)
    c = app_client()
    cid = data(c.post("/api/channel/", json={"mode": "single", "channel": channel(priority=5, weight=3)},
                      headers=auth(admin)))["ids"][0]
    updated = data(c.put("/api/channel/", json={"id": cid, "key": "", "name": "n2", "models": "o3"},
                         headers=auth(admin)))
    assert updated["name"] == "n2" and updated["priority"] == 5 and updated["weight"] == 3
    with session_scope() as s:
        assert s.get(Channel, cid).key == SECRET
    assert ability_count(cid) == 1 and cache.pick("default", "o3").id == cid
    data(c.put("/api/channel/", json={"id": cid, "status": 2}, headers=auth(admin)))
    assert ability_count(cid, enabled=True) == 0 and cache.pick("default", "o3") is None
    data(c.put("/api/channel/", json={"id": cid, "status": 1, "key": "new-key"}, headers=auth(admin)))
    data(c.put("/api/channel/", json={"id": cid, "key": "extra-key", "key_mode": "append"}, headers=auth(admin)))
    assert cache.pick("default", "o3").keys == ("new-key", "extra-key")
    data(c.put("/api/channel/", json={"id": cid, "weight": 0, "priority": 0}, headers=auth(admin)))
    assert data(c.get(f"/api/channel/{cid}", headers=auth(admin)))["weight"] == 0  # zero is a value, not "unset"


def test_list_search_and_pages(storage):
    admin = make_user("admin", Role.ADMIN)
    c = app_client()
    for i in range(5):
        c.post("/api/channel/", json={"mode": "single", "channel": channel(
            name=f"ch{i}", priority=i, type=1 if i % 2 else 14, group="vip" if i == 4 else "default",
            models="claude-3" if i == 3 else "gpt-4o", tag="pair" if i in (0, 1) else None,
            status=2 if i == 2 else 1)}, headers=auth(admin))
    listing = data(c.get("/api/channel/?p=1&page_size=2", headers=auth(admin)))
    assert listing["total"] == 5 and [x["name"] for x in listing["items"]] == ["ch4", "ch3"]  # priority desc
    assert listing["type_counts"] == {"1": 2, "14": 3, "all": 5}
    by_id = data(c.get("/api/channel/?p=3&page_size=2&id_sort=true", headers=auth(admin)))
    assert [x["id"] for x in by_id["items"]] == [1]
    assert data(c.get("/api/channel/?status=disabled", headers=auth(admin)))["total"] == 1
    assert data(c.get("/api/channel/?status=enabled&type=14", headers=auth(admin)))["total"] == 2
    tags = data(c.get("/api/channel/?tag_mode=true&page_size=3&id_sort=true", headers=auth(admin)))
    assert tags["total"] == 4 and [x["name"] for x in tags["items"]] == ["ch4", "ch3", "ch2"]
    tags = data(c.get("/api/channel/?tag_mode=true&page_size=3&p=2&id_sort=true", headers=auth(admin)))
    assert sorted(x["name"] for x in tags["items"]) == ["ch0", "ch1"]  # a tag's channels stay on one page

    def names(query: str) -> list[str]:
        return sorted(x["name"] for x in data(c.get(f"/api/channel/search?{query}", headers=auth(admin)))["items"])

    assert names("keyword=ch1") == ["ch1"]
    assert names("keyword=5") == ["ch4"]  # a numeric keyword matches the id (ch4 has id 5)
    assert names("group=vip") == ["ch4"]
    assert names("group=vi") == []  # group matches a whole member
    assert names("model=claude") == ["ch3"]
    assert names("keyword=%25") == []  # LIKE wildcards are escaped
    for i, groups in enumerate(("default,vip", "svip,vip,x_y", "vipx,xvip")):
        c.post("/api/channel/", json={"mode": "single", "channel": channel(name=f"multi{i}", group=groups, models="gpt-4o")},
               headers=auth(admin))
    assert names("group=vip") == ["ch4", "multi0", "multi1"]  # first, middle, last member; not vipx
    assert names("group=x_y") == ["multi1"] and names("group=x%25y") == []
    page1 = data(c.get("/api/channel/search?group=vip&page_size=2&p=1&id_sort=true", headers=auth(admin)))
    page2 = data(c.get("/api/channel/search?group=vip&page_size=2&p=2&id_sort=true", headers=auth(admin)))
    assert page1["total"] == 3 and [x["name"] for x in page1["items"]] == ["multi1", "multi0"]
    assert [x["name"] for x in page2["items"]] == ["ch4"]
    assert sorted(data(c.get("/api/channel/models_enabled", headers=auth(admin)))) == ["claude-3", "gpt-4o"]
    known = data(c.get("/api/channel/models", headers=auth(admin)))
    assert {"id": "gpt-4o", "object": "model", "created": 1626777600, "owned_by": "openai"} in known
    refused(c.get("/api/channel/999", headers=auth(admin)), 404)


def test_deletes(storage):
    admin = make_user("admin", Role.ADMIN)
    c = app_client()
    ids = data(c.post("/api/channel/", json={"mode": "batch", "channel": channel(key="1\n2\n3\n4")},
                      headers=auth(admin)))["ids"]
    data(c.delete(f"/api/channel/{ids[0]}", headers=auth(admin)))
    refused(c.delete(f"/api/channel/{ids[0]}", headers=auth(admin)), 404)
    data(c.put("/api/channel/", json={"id": ids[1], "status": 3}, headers=auth(admin)))
    assert data(c.delete("/api/channel/disabled", headers=auth(admin))) == 1
    assert data(c.post("/api/channel/batch", json={"ids": [ids[2], 12345]}, headers=auth(admin))) == 1
    refused(c.post("/api/channel/batch", json={"ids": []}, headers=auth(admin)), 400)
    with session_scope() as s:
        assert [ch.id for ch in s.exec(select(Channel)).all()] == [ids[3]]
        assert {a.channel_id for a in s.exec(select(Ability)).all()} == {ids[3]}


def test_tag_routes_and_fix(storage):
    admin = make_user("admin", Role.ADMIN)
    c = app_client()
    ids = data(c.post("/api/channel/", json={"mode": "batch", "channel": channel(key="1\n2", tag="team")},
                      headers=auth(admin)))["ids"]
    assert data(c.post("/api/channel/tag/disabled", json={"tag": "team"}, headers=auth(admin))) == 2
    assert cache.pick("default", "gpt-4o") is None
    assert data(c.post("/api/channel/tag/enabled", json={"tag": "team"}, headers=auth(admin))) == 2
    assert cache.pick("default", "gpt-4o").id in ids
    refused(c.post("/api/channel/tag/enabled", json={"tag": ""}, headers=auth(admin)), 400)
    data(c.put("/api/channel/tag", json={"tag": "team", "weight": 50, "models": "o3", "groups": "vip"},
               headers=auth(admin)))
    assert cache.pick("vip", "o3").weight == 50 and cache.pick("default", "gpt-4o") is None
    refused(c.put("/api/channel/tag", json={"tag": "team", "model_mapping": "{"}, headers=auth(admin)), 400)
    assert data(c.post("/api/channel/batch/tag", json={"ids": ids[:1], "tag": "solo"}, headers=auth(admin))) == 1
    assert data(c.get(f"/api/channel/{ids[0]}", headers=auth(admin)))["tag"] == "solo"
    with session_scope() as s:
        for a in s.exec(select(Ability)).all():
            s.delete(a)
    assert data(c.post("/api/channel/fix", headers=auth(admin))) == {"success": 2, "fails": 0}
    assert ability_count(ids[0]) == 1 and ability_count(ids[1]) == 1
