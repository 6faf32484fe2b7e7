"""The abilities index follows every channel write, in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlmodel import select

from backend.db import session_scope
from backend.models import Ability, Channel
from backend.models.schemas.channel import ChannelTagEdit, ChannelUpdate
from backend.services import abilities, channel_input, channels
from backend.services.errors import ServiceError


def rows(channel_id: int | None = None) -> set[tuple]:
    with session_scope() as s:
        q = select(Ability)
        if channel_id is not None:
            q = q.where(Ability.channel_id == channel_id)
        return {(a.group, a.model, a.channel_id, bool(a.enabled), a.priority, a.weight, a.tag) for a in s.exec(q)}


def create(**fields) -> list[int]:
    body = {"name": "c", "type": 1, "key": "sk-1", "models": "m1,m2", "group": "default,vip", **fields}
    return channels.create_channels(channel_input.parse_create({"mode": fields.pop("mode", "single"), "channel": body}))


def test_create_writes_models_times_groups(storage):
    [cid] = create(priority=4, weight=9, tag="blue")
    assert rows(cid) == {
        (g, m, cid, True, 4, 9, "blue") for g in ("default", "vip") for m in ("m1", "m2")
    }


def test_update_rebuilds_and_status_toggles(storage):
    [cid] = create()
    channels.update_channel(ChannelUpdate.model_validate({"id": cid, "models": "m2,m3", "group": "svip", "priority": 2, "weight": 1}))
    assert rows(cid) == {("svip", "m2", cid, True, 2, 1, None), ("svip", "m3", cid, True, 2, 1, None)}
    channels.update_channel(ChannelUpdate.model_validate({"id": cid, "status": 2}))
    assert {r[3] for r in rows(cid)} == {False}
    channels.set_status([cid], 1)
    assert {r[3] for r in rows(cid)} == {True}
    channels.set_tag_status("nope", enabled=False)  # no channel carries it: nothing changes
    assert {r[3] for r in rows(cid)} == {True}


def test_created_disabled_channel_has_disabled_abilities(storage):
    [cid] = create(status=2)
    assert rows(cid) and {r[3] for r in rows(cid)} == {False}


def test_delete_removes_abilities(storage):
    [a] = create()
    [b] = create(name="other")
    channels.delete_channel(a)
    assert rows(a) == set() and len(rows(b)) == 4
    channels.delete_channels([b])
    assert rows() == set()


def test_batch_create_gives_each_channel_its_abilities(storage):
    ids = create(mode="batch", key="k1\nk2\n\nk3\n")
    assert len(ids) == 3
    with session_scope() as s:
        keys = [s.get(Channel, i).key for i in ids]
    assert keys == ["k1", "k2", "k3"]
    for cid in ids:
        assert len(rows(cid)) == 4


def test_tag_edits_rebuild(storage):
    ids = create(mode="batch", key="a\nb", tag="team")
    [other] = create(name="untagged")
    assert channels.edit_tag(ChannelTagEdit(tag="team", new_tag="crew", priority=7, models="x", groups="vip")) == 2
    for cid in ids:
        assert rows(cid) == {("vip", "x", cid, True, 7, 0, "crew")}
    assert len(rows(other)) == 4
    assert channels.set_tag_status("crew", enabled=False) == 2
    assert {r[3] for cid in ids for r in rows(cid)} == {False}
    channels.batch_set_tag([other], "solo")
    assert {r[6] for r in rows(other)} == {"solo"}


def test_fix_rebuilds_everything(storage):
    [a] = create()
    [b] = create(name="b", status=2)
    with session_scope() as s:
        s.execute(delete(Ability))
        s.add(Ability(group="ghost", model="gone", channel_id=999, enabled=True))
    assert channels.fix_abilities() == {"success": 2, "fails": 0}
    assert len(rows(a)) == 4 and {r[3] for r in rows(b)} == {False}
    assert not any(r[2] == 999 for r in rows())


def test_failed_channel_write_leaves_abilities_alone(storage):
    [cid] = create()
    before = rows(cid)
    with pytest.raises(ServiceError):
        channels.update_channel(ChannelUpdate.model_validate({"id": cid, "models": "new", "model_mapping": "{not json"}))
    assert rows(cid) == before


def test_rows_for_dedupes_and_defaults_the_group(sqlite_storage):
    ch = Channel(id=5, models="a, a ,b,", group="", status=1, priority=None, weight=None)
    assert {(r["group"], r["model"]) for r in abilities.rows_for(ch)} == {("default", "a"), ("default", "b")}


def test_names_equal_but_for_case_keep_the_first_spelling(storage):
    # MySQL's primary key is case-insensitive: every database must accept this and hold the same rows
    [cid] = create(models="GPT-4o,gpt-4o,o3", group="default,Default")
    assert {(r[0], r[1]) for r in rows(cid)} == {("default", "GPT-4o"), ("default", "o3")}
