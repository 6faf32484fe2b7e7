"""`/v1/messages/count_tokens` through the `anthropic` SDK: a model routed to a Claude channel is
counted by the provider itself (Anthropic's count_tokens, Bedrock's CountTokens on the bare
foundation model, Vertex AI's count-tokens:rawPredict), with the channel's auth and model mapping;
any other channel, or a provider that fails, gets the gateway's own count. Never charged."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import anthropic
import orjson
import pytest

from backend.relay import token_counter
from tests.fakes import anthropic_wire as aw
from tests.fakes import bedrock_wire as bw
from tests.fakes.vertex import PROJECT, FakeVertex
from tests.relay.relay_seed import RelayEnv, consume_logs, flush, make_channel, make_key, relay_env

SYSTEM = "Be brief."
MESSAGES = [{"role": "user", "content": "How many tokens is this sentence, roughly?"}]
TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather in a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def _count(env: RelayEnv, key: str, model: str) -> int:
    client = anthropic.Anthropic(base_url=env.url, api_key=key, max_retries=0, timeout=30)
    return client.messages.count_tokens(
        model=model, system=SYSTEM, messages=MESSAGES, tools=TOOLS
    ).input_tokens


def _provider_count() -> int:
    return aw.counted({"system": SYSTEM, "messages": MESSAGES, "tools": TOOLS})


def _local(model: str) -> int:
    return token_counter.count_claude_request(
        model, {"model": model, "system": SYSTEM, "messages": MESSAGES, "tools": TOOLS}
    )


def _free(user_id: int) -> None:
    flush()
    assert consume_logs(user_id) == []


def test_anthropic_channel_counts_with_its_own_endpoint(env: RelayEnv) -> None:
    make_channel(
        env.fake.url,
        "claude-public",
        type_=14,
        key="sk-anthropic",
        model_mapping={"claude-public": "claude-sonnet-4-5"},
    )
    user, _, key = make_key()
    assert _count(env, key, "claude-public") == _provider_count() != _local("claude-public")
    [call] = env.fake.requests
    assert call.path == "/v1/messages/count_tokens"
    assert call.headers["x-api-key"] == "sk-anthropic" and call.headers["anthropic-version"]
    assert call.json == {"model": "claude-sonnet-4-5", "system": SYSTEM, "messages": MESSAGES, "tools": TOOLS}
    _free(user.id)


def test_bedrock_counts_on_the_bare_foundation_model_signed(env: RelayEnv) -> None:
    model = "claude-sonnet-4-20250514"  # served through the us. profile, counted on the bare model
    make_channel(env.fake.url, model, type_=33, key=f"{bw.ACCESS_KEY}|{bw.SECRET_KEY}|us-east-1")
    user, _, key = make_key()
    assert _count(env, key, model) == _provider_count()
    [call] = env.fake.requests
    assert call.path == "/model/anthropic.claude-sonnet-4-20250514-v1:0/count-tokens"
    assert call.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDFAKE/")
    invoke = orjson.loads(base64.b64decode(call.json["input"]["invokeModel"]["body"]))
    assert invoke["anthropic_version"] == "bedrock-2023-05-31" and invoke["messages"] == MESSAGES
    _free(user.id)


def test_vertex_claude_counts_with_count_tokens_raw_predict(sqlite_storage) -> None:
    model = "claude-sonnet-4-20250514"
    with FakeVertex() as vx, relay_env() as env:
        make_channel(vx.url, model, type_=41, key=vx.service_account(), other="us-east5")
        user, _, key = make_key()
        assert _count(env, key, model) == _provider_count()
        [call] = vx.requests
        assert call.path == (
            f"/v1/projects/{PROJECT}/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict"
        )
        assert call.json["model"] == "claude-sonnet-4@20250514"
        assert call.headers["authorization"] == "Bearer ya29.fake-1"
        _free(user.id)


def test_other_kinds_and_failed_counts_fall_back_to_the_gateways_count(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    make_channel(env.fake.url, "claude-down", type_=14)
    user, _, key = make_key()
    assert _count(env, key, "gpt-4o") == _local("gpt-4o")
    assert env.fake.requests == []  # an OpenAI channel is not asked
    env.fake.queue_failure(500)
    assert _count(env, key, "claude-down") == _local("claude-down")
    assert [r.path for r in env.fake.requests] == ["/v1/messages/count_tokens"]
    _free(user.id)
