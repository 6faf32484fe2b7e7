"""OpenAI Responses wire format for the fake upstream: whole replies, the full SSE event sequence
(what the official SDK's stream accumulator checks), request validation, and stored responses so
`previous_response_id` works as on OpenAI (an unknown id is OpenAI's 400).

Modes (in the model name, as for the other fakes): `reason` adds a reasoning item with a summary,
`cache` reports cached input tokens, `length` stops incomplete at max_output_tokens, `no-usage`
reports none, `stream-error` sends an error event after the first delta, `cut-stream` ends without
response.completed. Tools offered and a last input item from the user: the reply is a function call
(two in parallel with `parallel` in the model name).
"""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.openai_wire import (
    CACHED_TOKENS,
    REASONING_PIECES,
    REASONING_TEXT,
    REPLY_PIECES,
    REPLY_TEXT,
    TOOL_ARGUMENT_PIECES,
    TOOL_ARGUMENTS,
)

REASONING_TOKENS = 3
KNOWN_FIELDS = {
    "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "max_output_tokens",
    "temperature", "top_p", "stream", "store", "reasoning", "text", "previous_response_id", "metadata", "user",
    "include", "truncation", "service_tier", "prompt_cache_key", "safety_identifier", "background",
    "stream_options", "top_logprobs", "max_tool_calls", "conversation", "prompt", "prompt_cache_retention",
    "client_metadata",
}  # fmt: skip


def validate(body: dict) -> str | None:
    """What OpenAI's Responses API rejects among the shapes a conversion can get wrong."""
    unknown = sorted(set(body) - KNOWN_FIELDS)
    if unknown:
        return f"Unknown parameter: '{unknown[0]}'."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "Missing required parameter: 'model'."
    items = body.get("input")
    if isinstance(items, list):
        for i, item in enumerate(items):
            kind = item.get("type") or ("message" if "role" in item else None)
            if kind not in ("message", "function_call", "function_call_output", "reasoning", "custom_tool_call",
                            "custom_tool_call_output", "item_reference"):
                return f"Invalid value: '{kind}'. Supported values are: 'message', 'function_call'... (input[{i}])"
            if kind == "message" and item.get("role") not in ("user", "assistant", "system", "developer"):
                return f"Invalid value for input[{i}].role"
            if kind == "function_call_output" and not isinstance(item.get("output"), str | list):
                return f"Missing required parameter: 'input[{i}].output'."
    elif not isinstance(items, str) and not body.get("previous_response_id"):
        return "Missing required parameter: 'input'."
    for tool in body.get("tools") or []:
        if tool.get("type") == "function" and not tool.get("name"):
            return "Missing required parameter: 'tools[0].name'."
        if "function" in tool:
            return "Unknown parameter: 'tools[0].function'."  # a Chat-shaped tool sent by mistake
    return None


def wants_tool_call(body: dict) -> bool:
    if not body.get("tools"):
        return False
    items = body.get("input")
    if isinstance(items, str):
        return True
    last = items[-1] if isinstance(items, list) and items else {}
    return (last.get("type") or "message") == "message" and last.get("role") == "user"


def _tool_name(body: dict) -> str:
    return str(body["tools"][0].get("name") or "tool")


def usage(prompt: int, completion: int, mode: str) -> dict | None:
    if "no-usage" in mode:
        return None
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": CACHED_TOKENS if "cache" in mode else 0},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": REASONING_TOKENS if "reason" in mode else 0},
        "total_tokens": prompt + completion,
    }


def _calls(body: dict, mode: str) -> list[dict]:
    n = 2 if "parallel" in mode else 1
    return [{"id": f"fc_fake_{i}", "type": "function_call", "status": "completed", "call_id": f"call_fake_{i}",
             "name": _tool_name(body), "arguments": TOOL_ARGUMENTS} for i in range(1, n + 1)]


def output(body: dict, mode: str) -> list[dict]:
    items: list[dict] = []
    if "reason" in mode:
        items.append({"id": "rs_fake", "type": "reasoning", "summary": [{"type": "summary_text", "text": REASONING_TEXT}]})
    if wants_tool_call(body):
        return items + _calls(body, mode)
    text = "".join(REPLY_PIECES[:2]) if "length" in mode else REPLY_TEXT
    items.append({"id": "msg_fake", "type": "message", "status": "completed", "role": "assistant",
                  "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]})
    return items


def reply(body: dict, rid: str, prompt: int, completion: int, mode: str) -> dict:
    incomplete = "length" in mode and not wants_tool_call(body)
    return {
        "id": rid, "object": "response", "created_at": int(time.time()), "model": body.get("model", ""),
        "status": "incomplete" if incomplete else "completed", "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"), "output": output(body, mode),
        "parallel_tool_calls": True, "previous_response_id": body.get("previous_response_id"),
        "tool_choice": body.get("tool_choice", "auto"), "tools": body.get("tools") or [],
        "usage": usage(prompt, completion, mode), "store": body.get("store", True),
    }  # fmt: skip


def events(body: dict, final: dict, mode: str) -> list[tuple[str, dict]]:
    """The event sequence for `final` (the reply), as OpenAI streams it."""
    out: list[tuple[str, dict]] = []

    def emit(kind: str, **fields: Any) -> None:
        out.append((kind, {"type": kind, "sequence_number": len(out), **fields}))

    shell = {**final, "status": "in_progress", "output": [], "usage": None, "incomplete_details": None}
    emit("response.created", response=shell)
    emit("response.in_progress", response=shell)
    for index, item in enumerate(final["output"]):
        ids = {"item_id": item["id"], "output_index": index}
        if item["type"] == "reasoning":
            emit("response.output_item.added", output_index=index, item={**item, "summary": []})
            part = {"type": "summary_text", "text": ""}
            emit("response.reasoning_summary_part.added", **ids, summary_index=0, part=part)
            for piece in REASONING_PIECES:
                emit("response.reasoning_summary_text.delta", **ids, summary_index=0, delta=piece)
            emit("response.reasoning_summary_text.done", **ids, summary_index=0, text=REASONING_TEXT)
            emit("response.reasoning_summary_part.done", **ids, summary_index=0,
                 part={"type": "summary_text", "text": REASONING_TEXT})
        elif item["type"] == "function_call":
            emit("response.output_item.added", output_index=index,
                 item={**item, "arguments": "", "status": "in_progress"})
            for piece in TOOL_ARGUMENT_PIECES:
                emit("response.function_call_arguments.delta", **ids, delta=piece)
            emit("response.function_call_arguments.done", **ids, arguments=item["arguments"])
        else:
            emit("response.output_item.added", output_index=index,
                 item={**item, "content": [], "status": "in_progress"})
            text = item["content"][0]["text"]
            emit("response.content_part.added", **ids, content_index=0,
                 part={"type": "output_text", "text": "", "annotations": []})
            pieces = REPLY_PIECES[:2] if "length" in mode else REPLY_PIECES
            for piece in pieces:
                emit("response.output_text.delta", **ids, content_index=0, delta=piece, logprobs=[])
            emit("response.output_text.done", **ids, content_index=0, text=text, logprobs=[])
            emit("response.content_part.done", **ids, content_index=0, part=item["content"][0])
        emit("response.output_item.done", output_index=index, item=item)
    emit("response.incomplete" if final["status"] == "incomplete" else "response.completed", response=final)
    if "stream-error" in mode:  # created, in_progress, the first item's start and one delta, then an error
        first_delta = next(i for i, (k, _) in enumerate(out) if k.endswith(".delta"))
        out = out[: first_delta + 1]
        emit("error", code="server_error", message="fake stream failure", param=None)
    elif "cut-stream" in mode:
        first_delta = next(i for i, (k, _) in enumerate(out) if k.endswith(".delta"))
        out = out[: first_delta + 1]
    return out


def compacted(body: dict, prompt: int, completion: int) -> dict:
    items = body.get("input") if isinstance(body.get("input"), list) else [{"role": "user", "content": body.get("input")}]
    users = [i for i in items if isinstance(i, dict) and i.get("role") == "user"]
    return {
        "id": "cmp_fake", "object": "response.compaction", "created_at": int(time.time()),
        "output": [*users, {"id": "cmp_item_fake", "type": "compaction", "encrypted_content": "opaque-summary"}],
        "usage": usage(prompt, completion, ""),
    }  # fmt: skip
