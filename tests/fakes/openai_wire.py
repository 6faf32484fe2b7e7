"""OpenAI wire-format replies for the fake upstream (bodies and SSE chunks).

Deterministic: the same request gets the same reply, so tests can assert exact text and usage.
"""

from __future__ import annotations

import time
from typing import Any

REPLY_PIECES = ["Hello", " from", " the", " fake", " upstream", "!"]
REPLY_TEXT = "".join(REPLY_PIECES)
REASONING_PIECES = ["Let me", " think."]
REASONING_TEXT = "".join(REASONING_PIECES)
PROMPT_TOKENS = 12
COMPLETION_TOKENS = 9
CACHED_TOKENS = 4
TOOL_ARGUMENTS = '{"city":"Paris"}'
TOOL_ARGUMENT_PIECES = ['{"city"', ':"Paris"}']
EMBEDDING = [0.1, -0.2, 0.3]
# Arguments for the shell tools agent CLIs offer (Claude Code's `Bash`, Gemini CLI's
# `run_shell_command`): when one is offered the fake calls it, so the CLI really runs something
AGENT_TOOL_ARGUMENTS = {
    "Bash": '{"command":"echo fake-tool-ran","description":"Print a marker"}',
    "run_shell_command": '{"command":"echo fake-tool-ran"}',
}


def usage(prompt: int, completion: int, cached: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if cached:
        out["prompt_tokens_details"] = {"cached_tokens": cached, "audio_tokens": 0}
    return out


def wants_tool_call(body: dict) -> bool:
    """Call the first tool when tools are offered and the last turn is a fresh user message."""
    messages = body.get("messages") or []
    return bool(body.get("tools")) and bool(messages) and messages[-1].get("role") == "user"


def first_tool_name(body: dict) -> str:
    tool = (body.get("tools") or [{}])[0]
    return (tool.get("function") or {}).get("name") or tool.get("name") or "tool"


def tool_call_names(body: dict) -> list[str]:
    """The calls a tool turn makes: an agent CLI's shell tool when offered, else the first tool, or
    (a `parallel` model) each of the first two tools, the first one again if only one is offered."""
    names = [(t.get("function") or {}).get("name") or t.get("name") or "tool" for t in body.get("tools") or []]
    agent = [n for n in names if n in AGENT_TOOL_ARGUMENTS]
    if agent:
        return agent[:1]
    if "parallel" not in str(body.get("model", "")):
        return [first_tool_name(body)]
    return (names + names)[:2]


def tool_arguments(name: str) -> str:
    return AGENT_TOOL_ARGUMENTS.get(name, TOOL_ARGUMENTS)


def tool_argument_pieces(name: str) -> list[str]:
    if name not in AGENT_TOOL_ARGUMENTS:
        return TOOL_ARGUMENT_PIECES
    text = AGENT_TOOL_ARGUMENTS[name]
    return [text[: len(text) // 2], text[len(text) // 2 :]]


def chat_completion(body: dict, *, reasoning: bool, usage_obj: dict | None) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": REPLY_TEXT, "refusal": None}
    finish = "stop"
    if reasoning:
        message["reasoning_content"] = REASONING_TEXT
    if wants_tool_call(body):
        message["content"] = None
        message["tool_calls"] = [
            {
                "id": f"call_fake_{n}",
                "type": "function",
                "function": {"name": name, "arguments": tool_arguments(name)},
            }
            for n, name in enumerate(tool_call_names(body), start=1)
        ]
        finish = "tool_calls"
    out: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
    }
    if usage_obj is not None:
        out["usage"] = usage_obj
    return out


def chat_chunks(body: dict, *, reasoning: bool, usage_obj: dict | None, usage_mode: str) -> list[dict]:
    """usage_mode: "separate" (a final choices:[] chunk), "last" (on the finish chunk), "none"."""
    created = int(time.time())
    model = body.get("model", "")
    with_null_usage = usage_mode == "separate"

    def chunk(delta: dict, finish: str | None = None) -> dict:
        out: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if with_null_usage:
            out["usage"] = None
        return out

    chunks = [chunk({"role": "assistant", "content": ""})]
    if reasoning:
        chunks += [chunk({"reasoning_content": piece}) for piece in REASONING_PIECES]
    if wants_tool_call(body):
        for i, name in enumerate(tool_call_names(body)):
            chunks.append(
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": i,
                                "id": f"call_fake_{i + 1}",
                                "type": "function",
                                "function": {"name": name, "arguments": ""},
                            }
                        ]
                    }
                )
            )
            chunks += [
                chunk({"tool_calls": [{"index": i, "function": {"arguments": p}}]}) for p in tool_argument_pieces(name)
            ]
        finish = "tool_calls"
    else:
        chunks += [chunk({"content": piece}) for piece in REPLY_PIECES]
        finish = "stop"
    last = chunk({}, finish)
    if usage_mode == "last" and usage_obj is not None:
        last["usage"] = usage_obj
    chunks.append(last)
    if usage_mode == "separate" and usage_obj is not None:
        chunks.append(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [],
                "usage": usage_obj,
            }
        )
    return chunks


def completion(body: dict, usage_obj: dict | None) -> dict:
    out: dict[str, Any] = {
        "id": "cmpl-fake",
        "object": "text_completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [{"text": REPLY_TEXT, "index": 0, "logprobs": None, "finish_reason": "stop"}],
    }
    if usage_obj is not None:
        out["usage"] = usage_obj
    return out


def completion_chunks(body: dict, usage_obj: dict | None, usage_mode: str) -> list[dict]:
    created = int(time.time())
    model = body.get("model", "")
    chunks: list[dict] = [
        {
            "id": "cmpl-fake",
            "object": "text_completion",
            "created": created,
            "model": model,
            "choices": [{"text": piece, "index": 0, "logprobs": None, "finish_reason": None}],
        }
        for piece in REPLY_PIECES
    ]
    chunks[-1]["choices"][0]["finish_reason"] = "stop"
    if usage_mode == "separate" and usage_obj is not None:
        chunks.append(
            {
                "id": "cmpl-fake",
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": [],
                "usage": usage_obj,
            }
        )
    elif usage_mode == "last" and usage_obj is not None:
        chunks[-1]["usage"] = usage_obj
    return chunks


def embeddings(body: dict, prompt_tokens: int) -> dict:
    raw = body.get("input")
    inputs = raw if isinstance(raw, list) else [raw]
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": EMBEDDING} for i in range(len(inputs))],
        "model": body.get("model", ""),
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }


def models_list() -> dict:
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": 1700000000, "owned_by": "fake"}
            for name in ("gpt-4o", "gpt-4o-mini", "text-embedding-3-small")
        ],
    }


def responses_reply(body: dict, usage_in: int, usage_out: int) -> dict:
    return {
        "id": "resp_fake",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "model": body.get("model", ""),
        "output": [
            {
                "type": "message",
                "id": "msg_fake",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": REPLY_TEXT, "annotations": []}],
            }
        ],
        "usage": {
            "input_tokens": usage_in,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": usage_out,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": usage_in + usage_out,
        },
    }


def error_body(status: int, message: str) -> dict:
    kinds = {
        400: ("invalid_request_error", None),
        401: ("invalid_request_error", "invalid_api_key"),
        403: ("permission_error", None),
        404: ("invalid_request_error", "model_not_found"),
        429: ("rate_limit_exceeded", "rate_limit_exceeded"),
    }
    kind, code = kinds.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}
