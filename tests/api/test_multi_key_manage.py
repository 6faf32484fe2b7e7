"""`POST /api/channel/multi_key/manage`: new-api's actions over HTTP, and routing that follows them."""

from __future__ import annotations

import pytest
from mgmt_helpers import app_client, auth, data, make_user, refused

from backend.cache import channels as channel_cache
from backend.db import session_scope
from backend.models import Channel
from backend.models.enums import Role
from backend.services import channel_health
from tests.relay.relay_seed import make_channel

KEYS = ["sk-key-aaaaaaaaaaaa", "sk-key-bbbbbbbbbbbb", "sk-key-cccccccccccc"]
URL = "/api/channel/multi_key/manage"


@pytest.fixture
def setup(storage):
    admin = make_user("admin", Role.ADMIN)
    channel_id = make_channel("http://127.0.0.1:9", "m1", key="\n".join(KEYS), multi_key=True)
    return app_client(), auth(admin), channel_id


def _post(client, headers, channel_id, action, **extra):
    return client.post(URL, headers=headers, json={"channel_id": channel_id, "action": action, **extra})


def _status(client, headers, channel_id, **extra) -> dict:
    return data(_post(client, headers, channel_id, "get_key_status", **extra))


def _routed_keys(channel_id: int) -> tuple[str, ...]:
    with session_scope() as s:
        c = s.get(Channel, channel_id)
        return channel_cache.active_keys(c.key, c.channel_info)


def test_key_status_lists_previews_never_keys(setup):
    client, headers, channel_id = setup
    status = _status(client, headers, channel_id)
    assert [k["key_preview"] for k in status["keys"]] == [k[:10] + "..." for k in KEYS]
    assert status["enabled_count"] == 3 and status["total"] == 3 and status["total_pages"] == 1
    assert all(key not in str(status) for key in KEYS)
    paged = _status(client, headers, channel_id, page=2, page_size=2)
    assert [k["index"] for k in paged["keys"]] == [2] and paged["total_pages"] == 2


def test_disable_and_enable_one_key_and_routing_follows(setup):
    client, headers, channel_id = setup
    data(_post(client, headers, channel_id, "disable_key", key_index=1))
    status = _status(client, headers, channel_id)
    assert [k["status"] for k in status["keys"]] == [1, 2, 1] and status["manual_disabled_count"] == 1
    assert "disabled_time" in status["keys"][1]
    assert _routed_keys(channel_id) == (KEYS[0], KEYS[2])
    assert [k["index"] for k in _status(client, headers, channel_id, status=2)["keys"]] == [1]
    data(_post(client, headers, channel_id, "enable_key", key_index=1))
    assert _routed_keys(channel_id) == tuple(KEYS)


def test_disable_all_then_enable_all(setup):
    client, headers, channel_id = setup
    data(_post(client, headers, channel_id, "disable_all_keys"))
    assert _status(client, headers, channel_id)["manual_disabled_count"] == 3
    refused(_post(client, headers, channel_id, "disable_all_keys"), 400)  # nothing left to disable
    data(_post(client, headers, channel_id, "enable_all_keys"))
    assert _status(client, headers, channel_id)["enabled_count"] == 3


def test_delete_key_moves_the_others_up_with_their_states(setup):
    client, headers, channel_id = setup
    data(_post(client, headers, channel_id, "disable_key", key_index=2))
    data(_post(client, headers, channel_id, "delete_key", key_index=0))
    status = _status(client, headers, channel_id)
    assert [(k["index"], k["status"], k["key_preview"]) for k in status["keys"]] == [
        (0, 1, KEYS[1][:10] + "..."), (1, 2, KEYS[2][:10] + "...")]
    with session_scope() as s:
        c = s.get(Channel, channel_id)
        assert c.key == "\n".join(KEYS[1:])
        assert channel_cache.parse_json_object(c.channel_info)["multi_key_size"] == 2
    data(_post(client, headers, channel_id, "delete_key", key_index=1))
    refused(_post(client, headers, channel_id, "delete_key", key_index=0), 400)  # the last key stays


def test_delete_disabled_keys_removes_only_auto_disabled_ones(setup):
    client, headers, channel_id = setup
    assert channel_health.disable_now(channel_id, "upstream said 401", key=KEYS[0])
    data(_post(client, headers, channel_id, "disable_key", key_index=1))  # by hand: stays
    data(_post(client, headers, channel_id, "delete_disabled_keys"))
    status = _status(client, headers, channel_id)
    assert [(k["status"], k["key_preview"]) for k in status["keys"]] == [
        (2, KEYS[1][:10] + "..."), (1, KEYS[2][:10] + "...")]
    refused(_post(client, headers, channel_id, "delete_disabled_keys"), 400)


def test_refusals(setup):
    client, headers, channel_id = setup
    single = make_channel("http://127.0.0.1:9", "m2", key="sk-single")
    assert "multi-key" in refused(_post(client, headers, single, "get_key_status"), 400)
    refused(_post(client, headers, 10_000, "get_key_status"), 404)
    refused(_post(client, headers, channel_id, "disable_key"), 400)  # no index
    refused(_post(client, headers, channel_id, "disable_key", key_index=3), 400)
    refused(_post(client, headers, channel_id, "explode"), 400)
    user = make_user("user")
    refused(_post(client, auth(user), channel_id, "get_key_status"), 403)
    refused(_post(client, {}, channel_id, "get_key_status"), 401)
