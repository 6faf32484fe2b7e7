"""Dify's pure parts: the flattened query and files, the blocking reply, stream event deltas."""

from __future__ import annotations

import pytest

from backend.relay.convert.dify import (
    THINK_CLOSE,
    THINK_OPEN,
    DifyInputError,
    dify_delta,
    dify_end_usage,
    dify_to_openai,
    openai_to_dify,
)


def test_query_and_files() -> None:
    chat = {"stream": True, "messages": [
        {"role": "system", "content": [{"type": "text", "text": "S"}]},
        {"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"},
        {"role": "user", "content": [{"type": "text", "text": "Q2"}, {"type": "image_url", "image_url": "https://x/y.png"}]}]}
    assert openai_to_dify(chat, "u") == {
        "inputs": {}, "query": "SYSTEM: \nS\nUSER: \nQ1\nASSISTANT: \nA1\nUSER: \nQ2\n", "response_mode": "streaming",
        "user": "u", "auto_generate_name": False,
        "files": [{"type": "image", "transfer_mode": "remote_url", "url": "https://x/y.png"}]}
    with pytest.raises(DifyInputError):
        openai_to_dify({"messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]}]}, "u")


@pytest.mark.parametrize(("event", "debug", "delta"), [
    ({"event": "message", "answer": "hi"}, True, {"content": "hi"}),
    ({"event": "agent_message", "answer": THINK_OPEN}, False, {"content": "<think>"}),
    ({"event": "message", "answer": THINK_CLOSE}, False, {"content": "</think>"}),
    ({"event": "workflow_started", "data": {"workflow_id": "w"}}, True, {"reasoning_content": "Workflow: w\n"}),
    ({"event": "workflow_finished", "data": {"workflow_id": "w", "status": "ok"}}, True,
     {"reasoning_content": "Workflow: w ok\n"}),
    ({"event": "node_finished", "data": {"node_type": "llm", "status": "ok"}}, True, {"reasoning_content": "Node: llm ok\n"}),
    ({"event": "node_started", "data": {"node_type": "llm"}}, False, None),
    ({"event": "ping"}, True, None),
])
def test_stream_deltas(event: dict, debug: bool, delta: dict | None) -> None:
    assert dify_delta(event, debug) == delta


def test_reply_and_end_usage() -> None:
    meta = {"metadata": {"usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}}
    out = dify_to_openai({"answer": "x", "conversation_id": "c", **meta}, "m", 1)
    assert out["choices"][0]["message"]["content"] == "x" and out["usage"]["total_tokens"] == 7
    assert dify_end_usage(meta, 2) == {"prompt_tokens": 3, "completion_tokens": 6, "total_tokens": 9}
    assert dify_end_usage({"metadata": {}}, 2) is None
