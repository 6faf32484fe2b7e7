"""Auto-disable triggers (table-driven) and the disable / enable effects."""

from __future__ import annotations

import orjson
import pytest
from sqlmodel import select

from backend.cache import channels as cache
from backend.db import session_scope
from backend.models import Ability, Channel, Log
from backend.models.enums import LogType
from backend.models.schemas.channel import ChannelUpdate
from backend.relay.adaptors.base import UpstreamError
from backend.services import channel_health, channel_input, channels, options

OPENAI, GEMINI = 1, 24


def info(type_: int = OPENAI, auto_ban: int = 1) -> cache.ChannelInfo:
    return cache.ChannelInfo(
        id=1, type=type_, name="c", status=1, keys=("k",), base_url="", other="", models=("m",),
        groups=("default",), priority=0, weight=0, auto_ban=auto_ban, openai_organization="", tag="",
    )


TRIGGERS = [
    # (status, error, channel type, disable?)
    (401, None, OPENAI, True),
    (403, None, GEMINI, True),
    (403, None, OPENAI, False),
    (429, {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}, OPENAI, False),
    (500, {"message": "server exploded", "type": "server_error"}, OPENAI, False),
    (400, {"message": "bad key", "type": "invalid_request_error", "code": "invalid_api_key"}, OPENAI, True),
    (400, {"message": "x", "code": "account_deactivated"}, OPENAI, True),
    (400, {"message": "x", "code": "billing_not_active"}, OPENAI, True),
    (429, {"message": "x", "type": "insufficient_quota"}, OPENAI, True),
    (403, {"message": "x", "type": "permission_error"}, OPENAI, True),
    (403, {"message": "x", "type": "forbidden"}, OPENAI, True),
    (401, {"message": "x", "type": "authentication_error"}, OPENAI, True),
    (400, {"message": "x", "type": "authentication_error"}, OPENAI, True),
    (400, {"message": "Your credit balance is too low to access the API"}, OPENAI, True),
    (400, {"message": "YOU EXCEEDED YOUR CURRENT QUOTA, please check"}, OPENAI, True),  # case-insensitive
    (400, {"error": {"message": "This organization has been disabled."}}, OPENAI, True),  # whole body
    (400, {"message": "context length exceeded"}, OPENAI, False),
    (400, UpstreamError(400, "Permission denied for this key"), OPENAI, True),
    (400, UpstreamError(400, "too many tokens", type="invalid_request_error"), OPENAI, False),
    (404, {"message": 42, "code": 7}, OPENAI, False),  # odd field types don't crash
]


@pytest.mark.parametrize(("status", "error", "ctype", "expected"), TRIGGERS)
def test_triggers(sqlite_storage, status, error, ctype, expected):
    options.update("AutomaticDisableChannelEnabled", "true")
    assert channel_health.should_disable(status, error, info(ctype)) is expected


def test_option_off_or_auto_ban_off_never_disables(sqlite_storage):
    assert channel_health.should_disable(401, None, info()) is False  # option defaults to false
    options.update("AutomaticDisableChannelEnabled", "true")
    assert channel_health.should_disable(401, None, info(auto_ban=0)) is False


def test_status_codes_and_keywords_come_from_options(sqlite_storage):
    options.update("AutomaticDisableChannelEnabled", "true")
    options.update("AutomaticDisableStatusCodes", "401, 500-503")
    assert channel_health.should_disable(502, None, info()) is True
    assert channel_health.should_disable(504, None, info()) is False
    options.update("AutomaticDisableKeywords", "banana split\n")
    assert channel_health.should_disable(400, {"message": "Banana Split happened"}, info()) is True
    assert channel_health.should_disable(400, {"message": "You exceeded your current quota"}, info()) is False


def _make(**extra) -> int:
    body = {"name": "c", "type": 1, "key": "k", "models": "m", "group": "default", **extra}
    return channels.create_channels(channel_input.parse_create({"mode": "single", "channel": body}))[0]


async def test_auto_disable_effects(storage):
    cid = _make()
    assert await channel_health.auto_disable(cid, "invalid key") is False  # option off
    options.update("AutomaticDisableChannelEnabled", "true")
    assert cache.pick("default", "m").id == cid
    assert await channel_health.auto_disable(cid, "Incorrect API key provided") is True
    with session_scope() as s:
        row = s.get(Channel, cid)
        assert row.status == 3
        assert orjson.loads(row.other_info)["status_reason"] == "Incorrect API key provided"
        assert {a.enabled for a in s.exec(select(Ability).where(Ability.channel_id == cid))} == {False}
        logs = s.exec(select(Log).where(Log.type == int(LogType.SYSTEM))).all()
    assert any("已被禁用" in entry.content for entry in logs)
    assert cache.pick("default", "m") is None
    assert await channel_health.auto_disable(cid, "again") is False  # already off: no second log


async def test_auto_disable_respects_manual_disable_and_auto_ban(storage):
    options.update("AutomaticDisableChannelEnabled", "true")
    manual = _make(status=2)
    no_ban = _make(auto_ban=0)
    assert await channel_health.auto_disable(manual, "x") is False
    assert await channel_health.auto_disable(no_ban, "x") is False
    with session_scope() as s:
        assert s.get(Channel, manual).status == 2 and s.get(Channel, no_ban).status == 1


async def test_auto_enable_only_lifts_auto_disabled(storage):
    options.update("AutomaticDisableChannelEnabled", "true")
    auto = _make()
    manual = _make(status=2)
    await channel_health.auto_disable(auto, "dead")
    assert await channel_health.auto_enable(auto) is False  # AutomaticEnableChannelEnabled is off
    options.update("AutomaticEnableChannelEnabled", "true")
    assert await channel_health.auto_enable(manual) is False
    assert await channel_health.auto_enable(auto) is True
    assert cache.pick("default", "m").id == auto
    with session_scope() as s:
        assert s.get(Channel, manual).status == 2


async def test_multi_key_channel_loses_one_key_at_a_time(storage):
    options.update("AutomaticDisableChannelEnabled", "true")
    options.update("AutomaticEnableChannelEnabled", "true")
    cid = channels.create_channels(channel_input.parse_create({"mode": "multi_to_single", "channel": {
        "name": "pool", "type": 1, "key": "k1\nk2\nk3", "models": "m", "group": "default"}}))[0]
    assert await channel_health.auto_disable(cid, "dead key", key="k2") is True
    assert cache.get_channel(cid).keys == ("k1", "k3")  # the channel keeps serving with the rest
    assert await channel_health.auto_disable(cid, "dead key", key="k2") is False  # already off
    assert await channel_health.auto_disable(cid, "dead key", key="k1") is True
    assert cache.get_channel(cid).keys == ("k3",)
    with session_scope() as s:
        assert s.get(Channel, cid).status == 1
    assert await channel_health.auto_disable(cid, "dead key", key="k3") is True  # the last key takes the channel
    assert cache.get_channel(cid) is None
    with session_scope() as s:
        assert s.get(Channel, cid).status == 3
    assert await channel_health.auto_enable(cid) is True  # a passing test brings every key back
    assert cache.get_channel(cid).keys == ("k1", "k2", "k3")


async def test_key_argument_on_a_single_key_channel_disables_the_channel(sqlite_storage):
    options.update("AutomaticDisableChannelEnabled", "true")
    cid = _make(key="a\nb")  # two keys but not a multi-key channel: new-api disables it whole
    assert await channel_health.auto_disable(cid, "dead", key="a") is True
    assert cache.get_channel(cid) is None


def test_replacing_keys_resets_per_key_state(sqlite_storage):
    options.update("AutomaticDisableChannelEnabled", "true")
    cid = channels.create_channels(channel_input.parse_create({"mode": "multi_to_single", "channel": {
        "name": "pool", "type": 1, "key": "k1\nk2", "models": "m", "group": "default"}}))[0]
    assert channel_health.disable_now(cid, "dead", key="k1") is True
    assert cache.get_channel(cid).keys == ("k2",)
    channels.update_channel(ChannelUpdate.model_validate({"id": cid, "key": "n1\nn2"}))
    assert cache.get_channel(cid).keys == ("n1", "n2")
