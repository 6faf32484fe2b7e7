"""Baidu's ERNIE (wenxinworkshop) API (channel type 15), as new-api speaks it: the endpoint name of
each model, OpenAI chat <-> ERNIE bodies (`system` apart, `max_output_tokens`, `result`), stream
chunks with `is_end`, and the `{error_code, error_msg}` errors that come with a 200."""

from __future__ import annotations

from typing import Any

from backend.json_shape import object_at
from backend.relay.convert.zhipu import text_of

# new-api's model -> endpoint table; other models use their lower-cased name
ENDPOINTS = {
    "ERNIE-4.0": "completions_pro", "ERNIE-Bot-4": "completions_pro", "ERNIE-Bot": "completions",
    "ERNIE-Bot-turbo": "eb-instant", "ERNIE-Speed": "ernie_speed", "ERNIE-4.0-8K": "completions_pro",
    "ERNIE-3.5-8K": "completions", "ERNIE-3.5-8K-0205": "ernie-3.5-8k-0205",
    "ERNIE-3.5-8K-1222": "ernie-3.5-8k-1222", "ERNIE-Bot-8K": "ernie_bot_8k",
    "ERNIE-3.5-4K-0205": "ernie-3.5-4k-0205", "ERNIE-Speed-8K": "ernie_speed",
    "ERNIE-Speed-128K": "ernie-speed-128k", "ERNIE-Lite-8K-0922": "eb-instant",
    "ERNIE-Lite-8K-0308": "ernie-lite-8k", "ERNIE-Tiny-8K": "ernie-tiny-8k", "BLOOMZ-7B": "bloomz_7b1",
    "Embedding-V1": "embedding-v1", "bge-large-zh": "bge_large_zh", "bge-large-en": "bge_large_en",
    "tao-8k": "tao_8k",
}
AUTH_ERROR_CODES = frozenset({110, 111})  # access token invalid / expired


def endpoint_path(model: str) -> str:
    """`chat/<name>` or `embeddings/<name>` under /rpc/2.0/ai_custom/v1/wenxinworkshop/."""
    kind = "embeddings" if model.startswith(("Embedding", "bge-large", "tao-8k")) else "chat"
    return f"/rpc/2.0/ai_custom/v1/wenxinworkshop/{kind}/{ENDPOINTS.get(model, model.lower())}"


def openai_to_baidu(chat: dict) -> dict:
    """new-api's requestOpenAI2Baidu: the (last) system message goes to `system`, max_tokens to
    max_output_tokens (1 raised to 2, ERNIE's minimum), frequency_penalty to penalty_score."""
    out: dict[str, Any] = {"messages": []}
    for msg in chat.get("messages") or []:
        if not isinstance(msg, dict):
            continue
        if msg.get("role") in ("system", "developer"):
            out["system"] = text_of(msg.get("content"))
        else:
            out["messages"].append({"role": msg.get("role"), "content": text_of(msg.get("content"))})
    for src, dst in (("temperature", "temperature"), ("top_p", "top_p"), ("frequency_penalty", "penalty_score")):
        if isinstance(chat.get(src), int | float) and chat[src]:
            out[dst] = chat[src]
    limit = chat.get("max_completion_tokens") or chat.get("max_tokens")
    if isinstance(limit, int) and limit > 0:
        out["max_output_tokens"] = max(limit, 2)
    if chat.get("stream") is True:
        out["stream"] = True
    if isinstance(chat.get("user"), str) and chat["user"]:
        out["user_id"] = chat["user"]
    return out


def baidu_error(resp: dict) -> tuple[str, int] | None:
    """(message, code) when the body is ERNIE's error."""
    if resp.get("error_msg"):
        code = resp.get("error_code")
        return str(resp["error_msg"]), code if isinstance(code, int) else 0
    return None


def _usage(resp: dict) -> dict | None:
    raw = resp.get("usage")
    if not isinstance(raw, dict) or not raw.get("total_tokens"):
        return None
    p, t = int(raw.get("prompt_tokens") or 0), int(raw["total_tokens"])
    return {"prompt_tokens": p, "completion_tokens": t - p, "total_tokens": t}


def baidu_to_openai(resp: dict, model: str) -> dict:
    out: dict[str, Any] = {
        "id": resp.get("id") or "", "object": "chat.completion", "created": resp.get("created") or 0,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": str(resp.get("result") or "")},
                     "finish_reason": "stop"}],
    }
    usage = _usage(resp)
    if usage:
        out["usage"] = usage
    return out


def baidu_chunk(resp: dict, model: str) -> dict:
    """One stream chunk: `result` as the delta, `stop` at `is_end`, usage when reported."""
    out: dict[str, Any] = {
        "id": resp.get("id") or "", "object": "chat.completion.chunk", "created": resp.get("created") or 0,
        "model": model,
        "choices": [{"index": 0, "delta": {"content": str(resp.get("result") or "")},
                     "finish_reason": "stop" if resp.get("is_end") is True else None}],
    }
    usage = _usage(resp)
    if usage:
        out["usage"] = usage
    return out


def embeddings_to_baidu(body: dict) -> dict:
    """new-api's embeddingRequestOpenAI2Baidu: the input as a list of strings."""
    raw = body.get("input")
    return {"input": [raw] if isinstance(raw, str) else [str(x) for x in raw or []]}


def baidu_to_embeddings(resp: dict, model: str) -> dict:
    data = [d for d in resp.get("data") or [] if isinstance(d, dict)]
    usage = object_at(resp, "usage")
    p = int(usage.get("prompt_tokens") or 0)
    return {
        "object": "list", "model": model,
        "data": [{"object": "embedding", "index": d.get("index", i), "embedding": d.get("embedding") or []}
                 for i, d in enumerate(data)],
        "usage": {"prompt_tokens": p, "total_tokens": int(usage.get("total_tokens") or p)},
    }
