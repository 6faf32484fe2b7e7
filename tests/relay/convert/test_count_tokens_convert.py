"""The count_tokens bodies and replies (convert/count_tokens.py) and Bedrock's foundation-model ID."""

from __future__ import annotations

import base64

import orjson
import pytest

from backend.relay.adaptors.aws import foundation_model_id
from backend.relay.convert.count_tokens import bedrock_count_body, claude_count_body, counted_tokens

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"messages": MESSAGES, "max_tokens": 10, "stream": True, "temperature": 0.2},
            {"model": "m", "messages": MESSAGES},
        ),
        (
            {
                "messages": MESSAGES,
                "system": "s",
                "tools": [],
                "tool_choice": {"type": "auto"},
                "thinking": {"type": "enabled", "budget_tokens": 2048},
                "metadata": {"user_id": "u"},
            },
            {
                "model": "m",
                "messages": MESSAGES,
                "system": "s",
                "tools": [],
                "tool_choice": {"type": "auto"},
                "thinking": {"type": "enabled", "budget_tokens": 2048},
            },
        ),
        ({"model": "client-name", "messages": MESSAGES}, {"model": "m", "messages": MESSAGES}),
    ],
)
def test_claude_count_body_keeps_what_count_tokens_takes(body: dict, expected: dict) -> None:
    assert claude_count_body(body, "m") == expected


def test_bedrock_count_body_wraps_the_invoke_body_in_base64() -> None:
    invoke = {"anthropic_version": "bedrock-2023-05-31", "messages": MESSAGES, "max_tokens": 5}
    out = bedrock_count_body(invoke)
    assert list(out) == ["input"] and list(out["input"]) == ["invokeModel"]
    assert orjson.loads(base64.b64decode(out["input"]["invokeModel"]["body"])) == invoke


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ({"input_tokens": 42}, 42),
        ({"inputTokens": 7}, 7),
        ({"input_tokens": 0}, 0),
        ({"input_tokens": -1}, None),
        ({"input_tokens": True}, None),
        ({"input_tokens": "9"}, None),
        ({}, None),
        ([1], None),
    ],
)
def test_counted_tokens(reply: object, expected: int | None) -> None:
    assert counted_tokens(reply) == expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-sonnet-4-20250514", "anthropic.claude-sonnet-4-20250514-v1:0"),  # a profile-only model
        ("claude-3-haiku-20240307", "anthropic.claude-3-haiku-20240307-v1:0"),
        ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-3-7-sonnet-20250219-v1:0"),
        ("anthropic.claude-v2", "anthropic.claude-v2"),
    ],
)
def test_foundation_model_id_drops_the_profile_prefix(model: str, expected: str) -> None:
    assert foundation_model_id(model, "us-east-1") == expected
