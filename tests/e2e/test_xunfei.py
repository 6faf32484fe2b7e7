"""Xunfei Spark channels (type 18) through real HTTP with the official SDKs, the upstream a fake
Spark WebSocket server: the URL signed with the channel's secret, the version from the model
(`SparkDesk-v3.5`) or the channel's `other`, replies whole (assembled from the frames) and
streamed, as OpenAI and Claude, billed exactly from the last frame's usage; a refused signature,
an audit error frame or a dropped connection costs nothing."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import orjson
import pytest

from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.fakes.xunfei import APP_ID, CHANNEL_KEY, COMPLETION_TOKENS, PROMPT_TOKENS, FakeXunfei
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    make_channel,
    make_key,
    relay_env,
    set_option,
    user_row,
)

V35, ULTRA = "SparkDesk-v3.5", "SparkDesk"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]


@pytest.fixture
def spark(sqlite_storage) -> Iterator[tuple[RelayEnv, FakeXunfei]]:
    with FakeXunfei() as xf, relay_env() as env:
        make_channel(xf.url, f"{V35},{ULTRA}", type_=18, key=CHANNEL_KEY, other="v4.0")
        set_option("ModelRatio", orjson.dumps({V35: 1.5, ULTRA: 3, "SparkDesk-v1.1": 1}).decode())
        yield env, xf


def _billed(user_id: int, model: str, n: int = 1) -> None:
    flush()
    q = expected_quota(user_row(user_id), model, Usage(PROMPT_TOKENS, COMPLETION_TOKENS))
    assert [(r.model_name, r.quota) for r in consume_logs(user_id)] == [(model, q)] * n


def _free(user_id: int) -> None:
    flush()
    assert consume_logs(user_id) == []


def test_whole_and_streamed_chat_over_the_signed_websocket(spark) -> None:
    env, xf = spark
    user, _, key = make_key()
    client = env.openai(key)
    reply = client.chat.completions.create(model=V35, messages=MESSAGES, temperature=0.5, max_tokens=100)
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    assert reply.usage is not None and reply.usage.prompt_tokens == PROMPT_TOKENS
    stream = client.chat.completions.create(model=V35, messages=MESSAGES, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == ow.REPLY_TEXT
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == COMPLETION_TOKENS

    assert [p.split("?")[0] for p in xf.paths] == ["/v3.5/chat"] * 2
    assert xf.frames[0] == {
        "header": {"app_id": APP_ID},
        "parameter": {"chat": {"domain": "generalv3.5", "temperature": 0.5, "max_tokens": 100}},
        "payload": {"message": {"text": MESSAGES}},  # 3.5 takes a system message as it is
    }
    _billed(user.id, V35, 2)


def test_version_from_the_channel_and_system_as_a_user_turn_for_claude_clients(spark) -> None:
    env, xf = spark
    user, _, key = make_key()
    claude = anthropic.Anthropic(api_key=key, base_url=env.url, max_retries=0)
    with claude.messages.stream(model=ULTRA, max_tokens=64, system="Be brief.",
                                messages=[{"role": "user", "content": "hi"}]) as s:
        message = s.get_final_message()
    assert message.content[0].text == ow.REPLY_TEXT
    assert message.usage.output_tokens == COMPLETION_TOKENS
    assert xf.paths[0].startswith("/v4.0/chat?")
    assert xf.frames[0]["parameter"]["chat"]["domain"] == "4.0Ultra"
    assert xf.frames[0]["payload"]["message"]["text"] == [
        {"role": "user", "content": "Be brief."}, {"role": "assistant", "content": "Okay"},
        {"role": "user", "content": "hi"}]
    _billed(user.id, ULTRA)


def test_a_refused_signature_is_a_channel_failure_and_free(spark) -> None:
    env, xf = spark
    make_channel(xf.url, "SparkDesk-v1.1", type_=18, key=f"{APP_ID}|wrong-secret|fake-key")
    user, _, key = make_key()
    with pytest.raises(openai.APIStatusError) as info:
        env.openai(key).chat.completions.create(model="SparkDesk-v1.1", messages=MESSAGES)
    assert info.value.status_code == 502 and info.value.body["code"] == "channel_auth_failed"
    assert xf.frames == []
    _free(user.id)


def test_an_audit_error_frame_is_the_callers_400_and_free(spark) -> None:
    env, _ = spark
    user, _, key = make_key()
    with pytest.raises(openai.BadRequestError) as info:
        env.openai(key).chat.completions.create(model=V35, messages=[{"role": "user", "content": "audit me"}])
    assert info.value.body["code"] == "10013" and "not compliant" in info.value.message
    _free(user.id)


def test_a_dropped_connection_fails_the_call_for_free(spark) -> None:
    env, _ = spark
    user, _, key = make_key()
    with pytest.raises(openai.APIStatusError) as info:
        env.openai(key).chat.completions.create(model=V35, messages=[{"role": "user", "content": "cut me"}])
    assert info.value.status_code == 500 and info.value.body["code"] == "do_request_failed"  # as an HTTP reset
    _free(user.id)
