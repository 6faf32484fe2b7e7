"""Coze v3's pure parts: the chat body and the stream events."""

from __future__ import annotations

import pytest

from backend.relay.convert.coze import CozeFailure, coze_event, openai_to_coze


def test_only_user_turns_go_always_streamed() -> None:
    chat = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": [{"type": "text", "text": "a"}]},
                         {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]}
    assert openai_to_coze(chat, "bot", "u") == {"bot_id": "bot", "user_id": "u", "stream": True, "additional_messages": [
        {"role": "user", "content": "a", "content_type": "text"}, {"role": "user", "content": "c", "content_type": "text"}]}


@pytest.mark.parametrize(("event", "data", "out"), [
    ("conversation.message.delta", {"content": "x"}, ({"content": "x"}, None)),
    ("conversation.message.delta", {"content": "", "reasoning_content": "r"}, ({"reasoning_content": "r"}, None)),
    ("conversation.message.delta", {"content": ""}, (None, None)),
    ("conversation.chat.completed", {"usage": {"token_count": 5, "output_count": 3, "input_count": 2}},
     ({}, {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5})),
    ("conversation.chat.completed", {}, ({}, None)),
    ("conversation.message.completed", {"content": "whole"}, (None, None)),
    ("done", None, (None, None)),
])
def test_events(event: str, data: object, out: tuple) -> None:
    assert coze_event(event, data) == out


@pytest.mark.parametrize(("event", "data", "message"), [
    ("conversation.chat.failed", {"last_error": {"code": 4011, "msg": "balance"}}, "balance"),
    ("error", {"code": 4000, "msg": "bad"}, "bad"),
])
def test_failures(event: str, data: dict, message: str) -> None:
    with pytest.raises(CozeFailure) as info:
        coze_event(event, data)
    assert info.value.message == message
