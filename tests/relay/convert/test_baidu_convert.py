"""Baidu ERNIE's pure parts: endpoint names, request, reply, chunks and errors."""

from __future__ import annotations

import pytest

from backend.relay.convert.baidu import (
    baidu_chunk,
    baidu_error,
    baidu_to_embeddings,
    baidu_to_openai,
    embeddings_to_baidu,
    endpoint_path,
    openai_to_baidu,
)

BASE = "/rpc/2.0/ai_custom/v1/wenxinworkshop"


@pytest.mark.parametrize(("model", "path"), [
    ("ERNIE-4.0-8K", f"{BASE}/chat/completions_pro"),
    ("ERNIE-Speed-128K", f"{BASE}/chat/ernie-speed-128k"),
    ("ERNIE-Custom-X", f"{BASE}/chat/ernie-custom-x"),
    ("Embedding-V1", f"{BASE}/embeddings/embedding-v1"),
    ("bge-large-zh", f"{BASE}/embeddings/bge_large_zh"),
])
def test_endpoint_path(model: str, path: str) -> None:
    assert endpoint_path(model) == path


@pytest.mark.parametrize(("chat", "native"), [
    ({"messages": [{"role": "user", "content": "hi"}]}, {"messages": [{"role": "user", "content": "hi"}]}),
    ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": [{"type": "text", "text": "a"}]}],
      "max_tokens": 1, "temperature": 0.3, "frequency_penalty": 1.2, "stream": True, "user": "u1"},
     {"messages": [{"role": "user", "content": "a"}], "system": "s", "max_output_tokens": 2, "temperature": 0.3,
      "penalty_score": 1.2, "stream": True, "user_id": "u1"}),
    ({"messages": [], "max_completion_tokens": 50, "top_p": 0.5},
     {"messages": [], "max_output_tokens": 50, "top_p": 0.5}),
])
def test_openai_to_baidu(chat: dict, native: dict) -> None:
    assert openai_to_baidu(chat) == native


def test_replies_and_errors() -> None:
    resp = {"id": "a", "created": 3, "result": "hey", "usage": {"prompt_tokens": 2, "total_tokens": 7}}
    out = baidu_to_openai(resp, "m")
    assert out["choices"][0]["message"]["content"] == "hey"
    assert out["usage"] == {"prompt_tokens": 2, "completion_tokens": 5, "total_tokens": 7}
    mid = baidu_chunk({"result": "x", "is_end": False, "usage": {"prompt_tokens": 2, "total_tokens": 0}}, "m")
    assert mid["choices"][0] == {"index": 0, "delta": {"content": "x"}, "finish_reason": None} and "usage" not in mid
    assert baidu_chunk({**resp, "is_end": True}, "m")["choices"][0]["finish_reason"] == "stop"
    assert baidu_error({"error_code": 110, "error_msg": "token bad"}) == ("token bad", 110)
    assert baidu_error(resp) is None


def test_embeddings() -> None:
    assert embeddings_to_baidu({"input": "one"}) == {"input": ["one"]}
    assert embeddings_to_baidu({"input": ["a", "b"]}) == {"input": ["a", "b"]}
    out = baidu_to_embeddings({"data": [{"embedding": [0.5], "index": 0}], "usage": {"prompt_tokens": 3}}, "m")
    assert out == {"object": "list", "model": "m", "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
                   "usage": {"prompt_tokens": 3, "total_tokens": 3}}
