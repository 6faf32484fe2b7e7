"""Anthropic Messages wire-format replies (JSON and SSE events) and request validation."""

from __future__ import annotations

from typing import Any

import orjson

from tests.fakes.openai_wire import (
    REASONING_TEXT,
    REPLY_PIECES,
    REPLY_TEXT,
    TOOL_ARGUMENT_PIECES,
)

CACHE_READ_TOKENS = 100
CACHE_CREATION_TOKENS = 50
SIGNATURE = "fake-signature"
TOOL_INPUT = {"city": "Paris"}
# Inputs for the tools agent CLIs offer, so their calls are well-formed (Codex CLI's shell tool)
AGENT_TOOL_INPUTS = {"exec_command": {"cmd": "echo fake-tool-ran"}}


def validate(body: Any) -> str | None:
    """What Anthropic's API would reject (the shapes a conversion can get wrong), as its message."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        return "max_tokens: Field required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if messages[0].get("role") != "user":
        return "messages: first message must use the user role"
    for prev, cur in zip(messages, messages[1:], strict=False):
        if prev.get("role") == cur.get("role"):
            return "messages: roles must alternate between user and assistant"
    for i, msg in enumerate(messages):
        content = msg.get("content")
        if content == "" or content == []:
            return f"messages.{i}: all messages must have non-empty content"
        if isinstance(content, list):
            for block in content:
                if block.get("type") == "text" and not block.get("text"):
                    return f"messages.{i}: text content blocks must be non-empty"
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        budget = thinking.get("budget_tokens")
        if not isinstance(budget, int) or budget < 1024:
            return "thinking.budget_tokens: must be at least 1024"
        if budget >= body["max_tokens"]:
            return "max_tokens must be greater than thinking.budget_tokens"
        if body.get("temperature") not in (None, 1):
            return "temperature may only be set to 1 when thinking is enabled"
    return None


def _has_cache_control(body: dict) -> bool:
    def walk(value: Any) -> bool:
        if isinstance(value, dict):
            return "cache_control" in value or any(walk(v) for v in value.values())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return False

    return walk(body.get("system")) or walk(body.get("messages"))


def _wants_tool(body: dict) -> bool:
    messages = body.get("messages") or []
    if not body.get("tools") or not messages:
        return False
    last = messages[-1].get("content")
    return not (isinstance(last, list) and any(b.get("type") == "tool_result" for b in last))


def _tool_names(body: dict) -> list[str]:
    """The first tool, or (a `parallel` model) each of the first two (the first twice if alone)."""
    names = [t["name"] for t in body["tools"]]
    return (names + names)[:2] if "parallel" in str(body.get("model", "")) else names[:1]


def _tool_input(name: str) -> dict:
    return AGENT_TOOL_INPUTS.get(name, TOOL_INPUT)


def _input_pieces(name: str) -> list[str]:
    if name not in AGENT_TOOL_INPUTS:
        return TOOL_ARGUMENT_PIECES
    text = orjson.dumps(AGENT_TOOL_INPUTS[name]).decode()
    return [text[: len(text) // 2], text[len(text) // 2 :]]


def _thinking(body: dict) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") == "enabled"


def usage(body: dict, prompt: int, completion: int) -> dict:
    cached = _has_cache_control(body) or "cache" in body.get("model", "")
    return {
        "input_tokens": prompt,
        "output_tokens": completion,
        "cache_read_input_tokens": CACHE_READ_TOKENS if cached else 0,
        "cache_creation_input_tokens": CACHE_CREATION_TOKENS if cached else 0,
    }


def message(body: dict, prompt: int, completion: int) -> dict:
    content: list[dict] = []
    if _thinking(body):
        content.append({"type": "thinking", "thinking": REASONING_TEXT, "signature": SIGNATURE})
    stop = "end_turn"
    if _wants_tool(body):
        content += [
            {"type": "tool_use", "id": f"toolu_fake_{n}", "name": name, "input": _tool_input(name)}
            for n, name in enumerate(_tool_names(body), start=1)
        ]
        stop = "tool_use"
    else:
        content.append({"type": "text", "text": REPLY_TEXT})
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", ""),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": usage(body, prompt, completion),
    }


def events(body: dict, prompt: int, completion: int) -> list[tuple[str, dict]]:
    full = usage(body, prompt, completion)
    start_usage = {**full, "output_tokens": 1}
    out: list[tuple[str, dict]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": body.get("model", ""),
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": start_usage,
                },
            },
        ),
        ("ping", {"type": "ping"}),
    ]
    index = 0

    def block(start: dict, deltas: list[dict]) -> None:
        nonlocal index
        out.append(
            ("content_block_start", {"type": "content_block_start", "index": index, "content_block": start})
        )
        for delta in deltas:
            out.append(
                ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
            )
        out.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1

    if _thinking(body):
        block(
            {"type": "thinking", "thinking": "", "signature": ""},
            [
                {"type": "thinking_delta", "thinking": REASONING_TEXT},
                {"type": "signature_delta", "signature": SIGNATURE},
            ],
        )
    stop = "end_turn"
    if _wants_tool(body):
        for n, name in enumerate(_tool_names(body), start=1):
            block(
                {"type": "tool_use", "id": f"toolu_fake_{n}", "name": name, "input": {}},
                [{"type": "input_json_delta", "partial_json": p} for p in _input_pieces(name)],
            )
        stop = "tool_use"
    else:
        block({"type": "text", "text": ""}, [{"type": "text_delta", "text": p} for p in REPLY_PIECES])
    out.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": completion},
            },
        )
    )
    out.append(("message_stop", {"type": "message_stop"}))
    return out


def error_body(status: int, message: str) -> dict:
    kinds = {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        429: "rate_limit_error",
        529: "overloaded_error",
    }
    return {"type": "error", "error": {"type": kinds.get(status, "api_error"), "message": message}}


COUNT_FIELDS = {"model", "messages", "system", "tools", "tool_choice", "thinking", "mcp_servers"}
COUNT_OFFSET = 1000  # keeps the provider's count apart from any count the gateway makes itself


def count_problem(body: Any) -> str | None:
    """What Anthropic's count_tokens would reject: a field it does not take, or no messages."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    extra = sorted(set(body) - COUNT_FIELDS)
    if extra:
        return f"{extra[0]}: Extra inputs are not permitted"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        return "messages: Field required"
    return None


def counted(body: dict) -> int:
    """The fake provider's count: the size of what it counts, plus COUNT_OFFSET."""
    return COUNT_OFFSET + len(orjson.dumps([body.get(k) for k in ("system", "messages", "tools")])) // 4
