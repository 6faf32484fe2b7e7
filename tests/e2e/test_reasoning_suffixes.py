"""new-api's reasoning suffixes through the official SDKs: each is stripped from the model the
upstream sees and becomes that upstream's thinking parameter (with the reference's clamps), on
every route that can reach the channel; billing keeps the client's name."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import pytest
from google import genai
from google.genai import types

from backend.models.channel_types import ANTHROPIC_ID, GEMINI_ID
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    flush,
    make_channel,
    make_key,
    relay_env,
    set_option,
)

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def gemini_client(env: RelayEnv, key: str) -> genai.Client:
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=env.url, api_version="v1beta"))


GEMINI_CASES = [
    ("gemini-2.5-flash-thinking-128", "gemini-2.5-flash", {"thinkingBudget": 128, "includeThoughts": True}),
    ("gemini-2.5-pro-thinking-64", "gemini-2.5-pro", {"thinkingBudget": 128, "includeThoughts": True}),  # pro floor
    ("gemini-2.5-flash-thinking-99999", "gemini-2.5-flash", {"thinkingBudget": 24576, "includeThoughts": True}),
    ("gemini-2.5-flash-lite-thinking-8", "gemini-2.5-flash-lite", {"thinkingBudget": 512, "includeThoughts": True}),
    ("gemini-2.5-flash-nothinking", "gemini-2.5-flash", {"thinkingBudget": 0}),
    ("gemini-2.5-flash-high", "gemini-2.5-flash", {"thinkingBudget": 19660, "includeThoughts": True}),
]


@pytest.mark.parametrize(("model", "upstream", "config"), GEMINI_CASES)
def test_gemini_suffixes_on_every_ingress(env: RelayEnv, model: str, upstream: str, config: dict) -> None:
    make_channel(env.fake.url, model, type_=GEMINI_ID)
    user, _, key = make_key()
    gc = gemini_client(env, key)
    assert gc.models.generate_content(model=model, contents="hi").text == ow.REPLY_TEXT
    env.openai(key).chat.completions.create(model=model, messages=HI)
    anthropic.Anthropic(base_url=env.url, api_key=key, max_retries=0).messages.create(
        model=model, max_tokens=512, messages=HI)
    for sent in env.fake.requests:  # native Gemini, OpenAI chat, Claude messages
        assert sent.path == f"/v1beta/models/{upstream}:generateContent"
        assert sent.json["generationConfig"]["thinkingConfig"] == config
    flush()
    assert [r.model_name for r in consume_logs(user.id)] == [model] * 3


def test_gemini_suffix_rules_can_be_turned_off(env: RelayEnv) -> None:
    set_option("gemini.thinking_adapter_enabled", "false")
    make_channel(env.fake.url, "gemini-2.5-flash-thinking-128", type_=GEMINI_ID)
    _, _, key = make_key()
    gc = gemini_client(env, key)  # held: an unreferenced client closes under its own call
    gc.models.generate_content(model="gemini-2.5-flash-thinking-128", contents="hi")
    assert env.fake.last.path == "/v1beta/models/gemini-2.5-flash-thinking-128:generateContent"


CLAUDE_CASES = [
    ("claude-sonnet-4-5-thinking-2048", {"type": "enabled", "budget_tokens": 2048}, 4096),
    ("claude-sonnet-4-5-thinking-10", {"type": "enabled", "budget_tokens": 1024}, 4096),  # Anthropic's floor
    ("claude-sonnet-4-5-thinking", {"type": "enabled", "budget_tokens": 3276}, 4096),  # 80% of max_tokens
    ("claude-sonnet-4-5-high", {"type": "enabled", "budget_tokens": 4096}, 4096 + 8192),  # raised above budget
    ("claude-sonnet-4-5-nothinking", None, 4096),
]


@pytest.mark.parametrize(("model", "thinking", "max_tokens"), CLAUDE_CASES)
def test_claude_suffixes_native_and_converted(env: RelayEnv, model: str, thinking: dict | None,
                                               max_tokens: int) -> None:
    make_channel(env.fake.url, model, type_=ANTHROPIC_ID)
    user, _, key = make_key()
    ac = anthropic.Anthropic(base_url=env.url, api_key=key, max_retries=0)
    assert ac.messages.create(model=model, max_tokens=4096, messages=HI).content[-1].text == ow.REPLY_TEXT
    env.openai(key).chat.completions.create(model=model, max_tokens=4096, messages=HI)
    for sent in env.fake.requests:  # native Claude messages, OpenAI chat
        body = sent.json
        assert body["model"] == "claude-sonnet-4-5"
        assert body.get("thinking") == thinking and body["max_tokens"] == max_tokens
        if thinking:
            assert body["temperature"] == 1
    flush()
    assert [r.model_name for r in consume_logs(user.id)] == [model] * 2
