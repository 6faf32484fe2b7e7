"""Body rules: reasoning suffixes, o-series parameters, forced stream usage, Claude thinking."""

from __future__ import annotations

import orjson
import pytest

from backend.config import reset_settings
from backend.relay.adaptors import RelayFormat
from backend.relay.adaptors.openai import split_effort_suffix
from tests.relay.adaptors.adaptor_helpers import adaptor, channel, meta

F = RelayFormat
SYS = [{"role": "system", "content": "rules"}, {"role": "user", "content": "hi"}]


def build(type_id: int, model: str, body: dict, fmt: F = F.OPENAI_CHAT, **kw):
    a = adaptor(
        channel(type_id, "https://up.example"), meta(fmt, model, stream=body.get("stream") is True, **kw)
    )
    req = a.build_request({"model": model, **body})
    return a, orjson.loads(req.body)


@pytest.mark.parametrize(
    ("model", "base", "effort"),
    [
        ("o3-mini-high", "o3-mini", "high"),
        ("o4-mini-medium", "o4-mini", "medium"),
        ("gpt-5-low", "gpt-5", "low"),
        ("gpt-5-minimal", "gpt-5", "minimal"),
        ("gpt-5.1-xhigh", "gpt-5.1", "xhigh"),
        ("gpt-5.1-none", "gpt-5.1", "none"),
        ("gpt-4o", "gpt-4o", None),
        ("-high", "-high", None),
    ],
)
def test_effort_suffix(model, base, effort):
    assert split_effort_suffix(model) == (base, effort)


def test_suffix_becomes_reasoning_effort_and_is_recorded():
    a, body = build(1, "o3-mini-high", {"messages": SYS})
    assert body["model"] == "o3-mini"
    assert body["reasoning_effort"] == "high"
    assert a.reasoning_effort == "high"
    assert a.upstream_model == "o3-mini"


def test_client_reasoning_effort_is_recorded_without_suffix():
    a, body = build(1, "o3", {"messages": SYS, "reasoning_effort": "low"})
    assert body["reasoning_effort"] == "low"
    assert a.reasoning_effort == "low"


def test_responses_suffix_goes_into_reasoning_object():
    a, body = build(1, "o3-low", {"input": "x", "reasoning": {"summary": "auto"}}, F.OPENAI_RESPONSES)
    assert body["model"] == "o3"
    assert body["reasoning"] == {"summary": "auto", "effort": "low"}
    assert a.reasoning_effort == "low"


@pytest.mark.parametrize(
    ("model", "developer"),
    [
        ("o1", True),
        ("o1-2024-12-17", True),
        ("o3-mini", True),
        ("o4-mini", True),
        ("o1-mini", False),
        ("gpt-5", False),
    ],
)
def test_o_series_parameters(model, developer):
    _, body = build(1, model, {"messages": SYS, "max_tokens": 100, "temperature": 0.5})
    assert body["max_completion_tokens"] == 100
    assert "max_tokens" not in body
    assert "temperature" not in body
    assert body["messages"][0]["role"] == ("developer" if developer else "system")


def test_explicit_max_completion_tokens_wins():
    _, body = build(1, "o3", {"messages": SYS, "max_tokens": 100, "max_completion_tokens": 300})
    assert body["max_completion_tokens"] == 300
    assert "max_tokens" not in body


def test_regular_models_keep_their_parameters():
    _, body = build(1, "gpt-4o", {"messages": SYS, "max_tokens": 100, "temperature": 0.5})
    assert body["max_tokens"] == 100
    assert body["temperature"] == 0.5
    assert body["messages"][0]["role"] == "system"


@pytest.mark.parametrize(
    ("type_id", "forced"),
    [
        (1, True),
        (3, True),
        (4, True),
        (43, True),
        (48, True),
        (45, True),
        (42, False),
        (27, False),
        (25, False),
    ],
)
def test_stream_usage_forced_where_supported(type_id, forced):
    _, body = build(
        type_id, "m", {"messages": SYS, "stream": True, "stream_options": {"include_usage": False}}
    )
    if forced:
        assert body["stream_options"] == {"include_usage": True}
    else:
        assert "stream_options" not in body


def test_force_stream_option_off_keeps_client_choice(monkeypatch):
    monkeypatch.setenv("FORCE_STREAM_OPTION", "false")
    reset_settings()
    try:
        _, body = build(1, "m", {"messages": SYS, "stream": True, "stream_options": {"include_usage": False}})
        assert body["stream_options"] == {"include_usage": False}
        _, body = build(1, "m", {"messages": SYS, "stream": True})
        assert "stream_options" not in body
    finally:
        monkeypatch.delenv("FORCE_STREAM_OPTION")
        reset_settings()


def test_stream_options_removed_without_stream():
    _, body = build(1, "m", {"messages": SYS, "stream_options": {"include_usage": True}})
    assert "stream_options" not in body


def test_completions_stream_usage_forced():
    _, body = build(1, "gpt-3.5-turbo-instruct", {"prompt": "x", "stream": True}, F.OPENAI_COMPLETIONS)
    assert body["stream_options"] == {"include_usage": True}


def test_model_mapping_result_replaces_model():
    a = adaptor(channel(1), meta(model="my-alias", upstream="gpt-4o-mini"))
    body = orjson.loads(a.build_request({"model": "my-alias", "messages": SYS}).body)
    assert body["model"] == "gpt-4o-mini"


# -- Claude --------------------------------------------------------------------------------------


def test_anthropic_headers_and_version(sqlite_storage):
    a = adaptor(channel(14), meta(model="claude-3-5-haiku"))
    req = a.build_request({"model": "claude-3-5-haiku", "messages": SYS})
    assert req.headers["x-api-key"] == "sk-chan"
    assert req.headers["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in req.headers
    client = meta(
        F.CLAUDE_MESSAGES,
        "claude-3-5-haiku",
        client_headers={"anthropic-version": "2024-01-01", "anthropic-beta": "prompt-caching-2024-07-31"},
    )
    req = adaptor(channel(14), client).build_request(
        {"model": "claude-3-5-haiku", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    )
    assert req.headers["anthropic-version"] == "2024-01-01"
    assert req.headers["anthropic-beta"] == "prompt-caching-2024-07-31"


def test_anthropic_openai_request_conversion(sqlite_storage):
    a, body = build(14, "claude-3-7-sonnet-thinking", {"messages": SYS, "max_tokens": 2000, "stream": True})
    assert body["model"] == "claude-3-7-sonnet"
    assert body["system"] == "rules"
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1600}
    assert body["stream"] is True
    assert "stream_options" not in body
    assert a.upstream_model == "claude-3-7-sonnet"


def test_anthropic_default_max_tokens_option(sqlite_storage):
    from backend.services import options

    options.update("claude.default_max_tokens", '{"default": 4096, "claude-3-haiku": 1024}')
    _, body = build(14, "claude-3-haiku", {"messages": SYS})
    assert body["max_tokens"] == 1024
    _, body = build(14, "claude-opus-4", {"messages": SYS})
    assert body["max_tokens"] == 4096


def test_anthropic_thinking_adapter_option_off(sqlite_storage):
    from backend.services import options

    options.update("claude.thinking_adapter_enabled", "false")
    _, body = build(14, "claude-3-7-sonnet-thinking", {"messages": SYS})
    assert body["model"] == "claude-3-7-sonnet-thinking"
    assert "thinking" not in body


def test_native_claude_request_passes_through_with_suffix_rules(sqlite_storage):
    req = {"messages": [{"role": "user", "content": "x"}], "top_k": 4, "metadata": {"user_id": "u"}}
    _, body = build(14, "claude-sonnet-4-thinking", req, F.CLAUDE_MESSAGES)
    assert body["model"] == "claude-sonnet-4"
    assert body["max_tokens"] == 8192
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 6553}
    assert "top_k" not in body
    assert body["metadata"] == {"user_id": "u"}
    _, body = build(14, "claude-sonnet-4", {**req, "max_tokens": 10}, F.CLAUDE_MESSAGES)
    assert body == {"model": "claude-sonnet-4", **req, "max_tokens": 10}
