"""DashScope's native rerank API (Ali, channel type 17): a Jina/Cohere-shaped rerank body to
`{model, input: {query, documents}, parameters: {top_n, return_documents}}` and its
`{output: {results}, usage: {total_tokens}}` reply back, as new-api converts them."""

from __future__ import annotations

from typing import Any

from backend.json_shape import object_at


def rerank_to_dashscope(body: dict, model: str) -> dict:
    """Documents as text (Jina's {"text": ...} objects unwrapped); return_documents defaults to
    true, as in new-api."""
    docs = [d.get("text", "") if isinstance(d, dict) else d for d in body.get("documents") or []]
    params: dict[str, Any] = {"return_documents": body.get("return_documents") is not False}
    if isinstance(body.get("top_n"), int):
        params["top_n"] = body["top_n"]
    return {"model": model, "input": {"query": body.get("query", ""), "documents": docs}, "parameters": params}


def dashscope_error(resp: dict) -> tuple[str, str] | None:
    """(message, code) when the reply is DashScope's error object."""
    code = resp.get("code")
    if isinstance(code, str) and code:
        return str(resp.get("message") or code), code
    return None


def dashscope_to_rerank(resp: dict) -> tuple[dict, int]:
    """The rerank reply new-api gives (results + OpenAI-style usage) and the billed prompt tokens."""
    output = object_at(resp, "output")
    usage = object_at(resp, "usage")
    total = usage.get("total_tokens")
    tokens = total if isinstance(total, int) else 0
    results = [r for r in output.get("results") or [] if isinstance(r, dict)]
    body: dict[str, Any] = {"results": results, "usage": {"prompt_tokens": tokens, "completion_tokens": 0, "total_tokens": tokens}}
    return body, tokens
