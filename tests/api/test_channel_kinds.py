"""Every channel kind either relays or is refused when the channel is written: `/api/channel/`
refuses a kind the relay has no adaptor for (or one with no URL to call) with a message naming it,
on create and on update, so no channel takes traffic only to fail each call."""

from __future__ import annotations

import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.db import session_scope
from backend.models import Channel
from backend.models.channel_types import CHANNEL_TYPES, TASK_RELAYED_TYPES, unsupported_reason
from backend.models.enums import Role
from backend.relay.adaptors import AdaptorError
from backend.relay.adaptors.registry import get_adaptor_class
from tests.fakes.vertex import FakeVertex


@pytest.mark.parametrize("type_id", sorted(CHANNEL_TYPES))
def test_the_write_check_agrees_with_the_relay(type_id: int) -> None:
    """A kind accepted on write has an adaptor (or is one the task relays serve); a kind refused for
    its family has none."""
    reason = unsupported_reason(type_id, "https://upstream.example")
    try:
        get_adaptor_class(type_id)
        relays = type_id != 0
    except AdaptorError:
        relays = type_id in TASK_RELAYED_TYPES
    assert (reason is None) == relays, (type_id, reason)


def _channel(**extra: object) -> dict:
    return {"name": "k", "type": 1, "key": "sk-upstream", "models": "m1", "group": "default", **extra}


def test_unsupported_kinds_are_refused_on_create_and_update(storage) -> None:
    admin = make_user("admin", Role.ADMIN)
    c = app_client()
    cases = [
        ({"type": 11}, "PaLM (11) cannot be used"),
        ({"type": 56}, "Replicate (56) cannot be used: new-api relays Replicate as synchronous image generation"),
        ({"type": 2, "base_url": ""}, "Midjourney (2) needs a base URL"),
        ({"type": 999}, "channel type 999 is not a known channel type"),
        ({"type": 8}, "Custom (8) needs a base URL"),
        ({"type": 3, "base_url": ""}, "Azure (3) needs a base URL"),
    ]
    for extra, message in cases:
        msg = refused(c.post("/api/channel/", json={"mode": "single", "channel": _channel(**extra)},
                             headers=auth(admin)), 400)
        assert message in msg, (extra, msg)
    with session_scope() as s:
        assert s.exec(select(Channel)).all() == []

    [cid] = data(c.post("/api/channel/", json={"mode": "single", "channel": _channel()}, headers=auth(admin)))["ids"]
    assert "MokaAI (44) cannot be used" in refused(c.put("/api/channel/", json={"id": cid, "type": 44, "key": "k2"},
                                                      headers=auth(admin)), 400)
    assert "Custom (8) needs a base URL" in refused(c.put("/api/channel/", json={"id": cid, "type": 8, "key": "k2"},
                                                          headers=auth(admin)), 400)
    with session_scope() as s:
        row = s.get(Channel, cid)
        assert row is not None and (row.type, row.key) == (1, "sk-upstream")  # nothing changed
    data(c.put("/api/channel/", json={"id": cid, "type": 8, "base_url": "https://x.example/{model}", "key": "k3"},
               headers=auth(admin)))


@pytest.mark.parametrize(("type_id", "host"), [(51, "https://visual.volcengineapi.com"), (52, "https://api.vidu.cn"),
                                              (54, "https://ark.cn-beijing.volces.com")])
def test_video_provider_kinds_are_accepted_with_their_default_address(storage, type_id: int, host: str) -> None:
    """Jimeng, Vidu and Doubao video are relayed (backend/relay/tasks/providers): a channel of each
    is saved without a base URL and calls the provider's own host."""
    admin = make_user("admin", Role.ADMIN)
    c = app_client()
    [cid] = data(c.post("/api/channel/", json={"mode": "single", "channel": _channel(type=type_id, key="ak|sk")},
                        headers=auth(admin)))["ids"]
    with session_scope() as s:
        row = s.get(Channel, cid)
        assert row is not None and row.type == type_id
    assert CHANNEL_TYPES[type_id].base_url == host


def test_the_channel_test_button_buys_a_vertex_token_first(storage) -> None:
    """The admin's channel test goes through the same `prepare` step as the relay."""
    admin = make_user("admin", Role.ADMIN)
    with FakeVertex() as vx, app_client() as c:
        body = {"mode": "single", "channel": _channel(type=41, key=vx.service_account(), other="us-east5",
                                                      base_url=vx.url, models="gemini-2.5-flash")}
        [cid] = data(c.post("/api/channel/", json=body, headers=auth(admin)))["ids"]
        reply = c.get(f"/api/channel/test/{cid}", headers=auth(admin)).json()
        assert reply["success"] is True, reply
        assert vx.exchanges == 1
        assert vx.requests[-1].path.endswith("/locations/us-east5/publishers/google/models/gemini-2.5-flash:generateContent")
