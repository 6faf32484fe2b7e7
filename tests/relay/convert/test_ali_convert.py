"""DashScope native rerank: request, reply and error object."""

from __future__ import annotations

import pytest

from backend.relay.convert.ali import dashscope_error, dashscope_to_rerank, rerank_to_dashscope


@pytest.mark.parametrize(("body", "native"), [
    ({"query": "q", "documents": ["a", {"text": "b"}]},
     {"model": "m", "input": {"query": "q", "documents": ["a", "b"]}, "parameters": {"return_documents": True}}),
    ({"query": "q", "documents": ["a"], "top_n": 2, "return_documents": False},
     {"model": "m", "input": {"query": "q", "documents": ["a"]}, "parameters": {"return_documents": False, "top_n": 2}}),
])
def test_rerank_to_dashscope(body: dict, native: dict) -> None:
    assert rerank_to_dashscope(body, "m") == native


def test_reply_and_error() -> None:
    body, tokens = dashscope_to_rerank({"output": {"results": [{"index": 0, "relevance_score": 0.5}]},
                                        "usage": {"total_tokens": 7}})
    assert tokens == 7 and body["results"] == [{"index": 0, "relevance_score": 0.5}]
    assert body["usage"] == {"prompt_tokens": 7, "completion_tokens": 0, "total_tokens": 7}
    assert dashscope_to_rerank({})[1] == 0
    assert dashscope_error({"code": "Throttling", "message": "slow down"}) == ("slow down", "Throttling")
    assert dashscope_error({"output": {}}) is None
