"""OpenAI chat body -> Claude Messages body (reference §9 "OpenAI -> Claude")."""

from __future__ import annotations

import pytest

from backend.relay.convert.openai_claude import ClaudeOptions, openai_to_claude_request

U = {"role": "user", "content": "hi"}

CASES = [
    pytest.param(
        {"messages": [{"role": "system", "content": "be brief"}, U]},
        {"system": "be brief", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8192},
        id="system-to-top-level-and-default-max-tokens",
    ),
    pytest.param(
        {"messages": [{"role": "system", "content": "a"}, {"role": "developer", "content": "b"}, U]},
        {"system": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
        id="several-system-messages-become-blocks",
    ),
    pytest.param(
        {"messages": [U, {"role": "user", "content": "again"}]},
        {"messages": [{"role": "user", "content": "hi again"}]},
        id="same-role-strings-merge-with-space",
    ),
    pytest.param(
        {"messages": [{"role": "assistant", "content": "hello"}, U]},
        {
            "messages": [
                {"role": "user", "content": "..."},
                {"role": "assistant", "content": "hello"},
                {"role": "user", "content": "hi"},
            ]
        },
        id="non-user-first-turn-gets-filler",
    ),
    pytest.param(
        {"messages": [U, {"role": "assistant", "content": None}, {"role": "user", "content": ""}]},
        {
            "messages": [
                {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "..."},
                {"role": "user", "content": "..."},
            ]
        },
        id="empty-content-gets-filler",
    ),
    pytest.param(
        {"messages": [{"role": "system", "content": "only system"}]},
        {"messages": [{"role": "user", "content": "..."}]},
        id="no-turns-at-all",
    ),
    pytest.param(
        {"messages": [U], "stop": "END", "temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "stream": True},
        {"stop_sequences": ["END"], "temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "stream": True},
        id="sampling-stop-stream",
    ),
    pytest.param(
        {"messages": [U], "stop": ["a", "b"], "max_completion_tokens": 77, "user": "u-1"},
        {"stop_sequences": ["a", "b"], "max_tokens": 77, "metadata": {"user_id": "u-1"}},
        id="stop-list-max-completion-tokens-user",
    ),
    pytest.param(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}},
                        {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
                    ],
                }
            ]
        },
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {
                            "type": "image",
                            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0K"},
                        },
                        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
                    ],
                }
            ]
        },
        id="images-base64-and-url",
    ),
    pytest.param(
        {
            "messages": [
                U,
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"x":1}'}},
                        {"id": "c2", "type": "function", "function": {"name": "g", "arguments": ""}},
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "one"},
                {"role": "tool", "tool_call_id": "c2", "content": ""},
                {"role": "user", "content": "thanks"},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_use", "id": "c1", "name": "f", "input": {"x": 1}},
                        {"type": "tool_use", "id": "c2", "name": "g", "input": {}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "c1", "content": "one"},
                        {"type": "tool_result", "tool_use_id": "c2", "content": "..."},
                        {"type": "text", "text": "thanks"},
                    ],
                },
            ]
        },
        id="tool-calls-and-results-in-one-user-turn",
    ),
    pytest.param(
        {
            "messages": [
                U,
                {
                    "role": "assistant",
                    "content": "let me check",
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "res"}]},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "let me check"},
                        {"type": "tool_use", "id": "c1", "name": "f", "input": {}},
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "c1",
                            "content": [{"type": "text", "text": "res"}],
                        }
                    ],
                },
            ]
        },
        id="assistant-text-then-tool-use",
    ),
    pytest.param(
        {
            "messages": [U],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "f",
                        "description": "d",
                        "parameters": {"type": "object", "properties": {}},
                    },
                },
                {"type": "function", "function": {"name": "g"}},
            ],
            "tool_choice": {"type": "function", "function": {"name": "f"}},
            "parallel_tool_calls": False,
        },
        {
            "tools": [
                {"name": "f", "description": "d", "input_schema": {"type": "object", "properties": {}}},
                {"name": "g", "input_schema": {"type": "object", "properties": {}}},
            ],
            "tool_choice": {"type": "tool", "name": "f", "disable_parallel_tool_use": True},
        },
        id="tools-and-named-choice",
    ),
    pytest.param(
        {
            "messages": [U],
            "tools": [{"type": "function", "function": {"name": "f"}}],
            "tool_choice": "required",
        },
        {"tool_choice": {"type": "any"}},
        id="tool-choice-required-is-any",
    ),
    pytest.param(
        {"messages": [U], "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "none"},
        {"tool_choice": {"type": "none"}},
        id="tool-choice-none",
    ),
    pytest.param(
        {"messages": [U], "response_format": {"type": "json_object"}, "n": 1, "frequency_penalty": 0.5},
        {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 8192, "model": "claude-3-5-sonnet"},
        id="openai-only-fields-dropped",
    ),
]


@pytest.mark.parametrize(("req", "expected"), CASES)
def test_request_conversion(req, expected):
    out = openai_to_claude_request(req, "claude-3-5-sonnet")
    assert out["model"] == "claude-3-5-sonnet"
    for key, value in expected.items():
        assert out[key] == value, key


def test_openai_only_fields_are_not_forwarded():
    out = openai_to_claude_request(
        {"messages": [U], "response_format": {"type": "json_object"}, "n": 1, "frequency_penalty": 0.5}, "m"
    )
    assert set(out) == {"model", "messages", "max_tokens"}


def test_thinking_suffix_sets_budget_and_strips_sampling():
    out = openai_to_claude_request(
        {"messages": [U], "max_tokens": 1000, "temperature": 0.3, "top_p": 0.5}, "claude-3-7-sonnet-thinking"
    )
    assert out["model"] == "claude-3-7-sonnet"
    assert out["max_tokens"] == 1280  # raised to the floor
    assert out["thinking"] == {"type": "enabled", "budget_tokens": 1024}  # int(0.8 * 1280)
    assert out["temperature"] == 1
    assert "top_p" not in out


def test_thinking_suffix_default_max_tokens_and_ratio():
    out = openai_to_claude_request(
        {"messages": [U]},
        "claude-sonnet-4-thinking",
        ClaudeOptions(default_max_tokens=10000, thinking_budget_ratio=0.5),
    )
    assert out["max_tokens"] == 10000
    assert out["thinking"]["budget_tokens"] == 5000


def test_thinking_suffix_left_alone_when_adapter_off():
    out = openai_to_claude_request(
        {"messages": [U]}, "claude-x-thinking", ClaudeOptions(thinking_adapter=False)
    )
    assert out["model"] == "claude-x-thinking"
    assert "thinking" not in out


@pytest.mark.parametrize(("effort", "budget"), [("low", 1280), ("medium", 2048), ("high", 4096)])
def test_reasoning_effort_maps_to_budget(effort, budget):
    out = openai_to_claude_request(
        {"messages": [U], "reasoning_effort": effort, "max_tokens": 1000}, "claude-sonnet-4"
    )
    assert out["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert out["max_tokens"] > budget  # Claude rejects a budget that is not below max_tokens


def test_input_is_not_mutated():
    req = {"messages": [U, {"role": "user", "content": "x"}], "stop": ["s"]}
    snapshot = repr(req)
    openai_to_claude_request(req, "m")
    assert repr(req) == snapshot


def test_cache_control_on_text_parts_survives():
    req = {
        "messages": [
            {
                "role": "user",
                "content": [{"type": "text", "text": "long doc", "cache_control": {"type": "ephemeral"}}],
            }
        ]
    }
    out = openai_to_claude_request(req, "m")
    assert out["messages"][0]["content"][0]["cache_control"] == {"type": "ephemeral"}


def test_pdf_file_part_becomes_document():
    req = {
        "messages": [
            {
                "role": "user",
                "content": [{"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0="}}],
            }
        ]
    }
    block = openai_to_claude_request(req, "m")["messages"][0]["content"][0]
    assert block == {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
    }


@pytest.mark.parametrize(("given", "sent"), [(1.7, 1), (0.4, 0.4), (-1, 0)])
def test_temperature_clamped_to_claude_range(given, sent):
    assert openai_to_claude_request({"messages": [U], "temperature": given}, "m")["temperature"] == sent


def test_system_cache_control_kept_as_blocks():
    req = {
        "messages": [
            {
                "role": "system",
                "content": [{"type": "text", "text": "big doc", "cache_control": {"type": "ephemeral"}}],
            },
            U,
        ]
    }
    assert openai_to_claude_request(req, "m")["system"] == [
        {"type": "text", "text": "big doc", "cache_control": {"type": "ephemeral"}}
    ]


def test_prefill_trailing_whitespace_removed():
    req = {"messages": [U, {"role": "assistant", "content": "Sure:  \n"}]}
    assert openai_to_claude_request(req, "m")["messages"][-1] == {"role": "assistant", "content": "Sure:"}
    req = {"messages": [U, {"role": "assistant", "content": [{"type": "text", "text": "  "}]}]}
    assert openai_to_claude_request(req, "m")["messages"][-1]["content"] == [{"type": "text", "text": "..."}]
