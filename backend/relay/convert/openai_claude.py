"""OpenAI Chat Completions -> Claude Messages: requests (OpenAI client, Claude channel) and
responses/streams (OpenAI channel answering a Claude /v1/messages client).

Claude is stricter than OpenAI about turn order: the conversation must start with a user turn,
roles must alternate, text blocks must not be empty, and a tool result belongs in the user turn
that follows the assistant's tool_use. The request conversion repairs a transcript into that shape.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import orjson

from backend.models.usage import Usage
from backend.relay.convert.usage import claude_usage_dict

FILLER = "..."
THINKING_MIN_MAX_TOKENS = 1280
# reasoning_effort -> thinking budget when the client asks for effort instead of a -thinking model
EFFORT_BUDGETS = {"minimal": 1024, "low": 1280, "medium": 2048, "high": 4096}
MIN_THINKING_BUDGET = 1024  # Anthropic refuses less
_BUDGET_SUFFIX = re.compile(r"-thinking-(\d+)$")


@dataclass(frozen=True, slots=True)
class ThinkingSuffix:
    """What a model-name suffix asks of Claude: `ratio` (-thinking: a share of max_tokens), a fixed
    `budget` (-thinking-<N>, -high/-medium/-low/-minimal) or `off` (-nothinking)."""

    model: str
    ratio: bool = False
    budget: int = 0
    off: bool = False


def split_thinking_suffix(model: str) -> ThinkingSuffix:
    """new-api's reasoning suffixes on a Claude model, stripped: `-thinking`, `-thinking-<N>`
    (N raised to Anthropic's 1024 floor), `-nothinking`, `-high|-medium|-low|-minimal`."""
    match = _BUDGET_SUFFIX.search(model)
    if match:
        return ThinkingSuffix(model[: match.start()], budget=max(int(match.group(1)), MIN_THINKING_BUDGET))
    if model.endswith("-nothinking"):
        return ThinkingSuffix(model.removesuffix("-nothinking"), off=True)
    if model.endswith("-thinking"):
        return ThinkingSuffix(model.removesuffix("-thinking"), ratio=True)
    for effort, budget in EFFORT_BUDGETS.items():
        if model.endswith("-" + effort) and len(model) > len(effort) + 1:
            return ThinkingSuffix(model[: -len(effort) - 1], budget=budget)
    return ThinkingSuffix(model)


def thinking_for(suffix: ThinkingSuffix, max_tokens: int, ratio: float, default_max: int) -> tuple[int, int]:
    """(budget_tokens or 0, max_tokens) for a suffix; max_tokens always ends above the budget."""
    if suffix.ratio:
        max_tokens = max(max_tokens, THINKING_MIN_MAX_TOKENS)
        return max(int(max_tokens * ratio), MIN_THINKING_BUDGET), max_tokens
    if suffix.budget:
        return suffix.budget, max_tokens if max_tokens > suffix.budget else suffix.budget + default_max
    return 0, max_tokens


@dataclass(frozen=True, slots=True)
class ClaudeOptions:
    """The `claude.*` options that shape a converted request."""

    default_max_tokens: int = 8192
    thinking_adapter: bool = True  # the "-thinking" model suffix turns extended thinking on
    thinking_budget_ratio: float = 0.8


# -- request ----------------------------------------------------------------------------------


def _text_of(content: Any) -> str:
    """The text of an OpenAI message content (string or parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _parse_data_url(url: str) -> tuple[str, str] | None:
    """("image/png", base64) from a data URL, None for anything else."""
    if not url.startswith("data:"):
        return None
    head, _, data = url.partition(",")
    if not data or ";base64" not in head:
        return None
    return head[5:].split(";", 1)[0] or "application/octet-stream", data


def _image_block(url: str) -> dict:
    parsed = _parse_data_url(url)
    if parsed:
        media_type, data = parsed
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    # Claude fetches URLs itself; the gateway never downloads on a client's behalf.
    return {"type": "image", "source": {"type": "url", "url": url}}


def _user_blocks(content: Any) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    blocks: list[dict] = []
    for part in content if isinstance(content, list) else []:
        if not isinstance(part, dict):
            continue
        kind = part.get("type")
        if kind == "text":
            if part.get("text"):
                block = {"type": "text", "text": part["text"]}
                if "cache_control" in part:
                    block["cache_control"] = part["cache_control"]
                blocks.append(block)
        elif kind == "image_url":
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, dict) else image
            if isinstance(url, str) and url:
                blocks.append(_image_block(url))
        elif kind == "file":
            data = (part.get("file") or {}).get("file_data", "")
            parsed = _parse_data_url(data) if isinstance(data, str) else None
            if parsed:
                media_type, b64 = parsed
                blocks.append(
                    {"type": "document", "source": {"type": "base64", "media_type": media_type, "data": b64}}
                )
    return blocks


def _tool_input(arguments: Any) -> Any:
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, str) and arguments.strip():
        try:
            value = orjson.loads(arguments)
        except orjson.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def _assistant_blocks(msg: dict) -> list[dict]:
    blocks = _user_blocks(msg.get("content"))
    for call in msg.get("tool_calls") or []:
        if not isinstance(call, dict):
            continue
        fn = call.get("function") or {}
        blocks.append(
            {
                "type": "tool_use",
                "id": call.get("id") or "",
                "name": fn.get("name") or "",
                "input": _tool_input(fn.get("arguments")),
            }
        )
    return blocks


def _tool_result(msg: dict) -> dict:
    content = msg.get("content")
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": msg.get("tool_call_id") or ""}
    if isinstance(content, list):
        result["content"] = _user_blocks(content) or FILLER
    else:
        result["content"] = content if isinstance(content, str) and content else FILLER
    return result


def _append(turns: list[dict], role: str, blocks: list[dict], plain: str | None) -> None:
    """Add a turn, merging into the previous one when the role repeats (Claude needs alternation).

    `plain` is set when the message was a bare string: two bare strings merge with a space, as
    new-api does; anything else merges block lists.
    """
    if turns and turns[-1]["role"] == role:
        prev = turns[-1]
        if plain is not None and isinstance(prev["content"], str):
            prev["content"] = f"{prev['content']} {plain}" if prev["content"] else plain
            return
        if plain is not None:
            blocks = [{"type": "text", "text": plain}]
        prev_blocks = prev["content"]
        if isinstance(prev_blocks, str):
            prev_blocks = [{"type": "text", "text": prev_blocks}] if prev_blocks else []
        prev["content"] = prev_blocks + blocks
        return
    turns.append({"role": role, "content": plain if plain is not None else blocks})


def _strip_trailing_space(turns: list[dict]) -> None:
    """Claude rejects a final assistant turn (a prefill) that ends in whitespace."""
    last = turns[-1]
    if last["role"] != "assistant":
        return
    if isinstance(last["content"], str):
        last["content"] = last["content"].rstrip() or FILLER
    elif last["content"] and last["content"][-1].get("type") == "text":
        last["content"][-1]["text"] = last["content"][-1]["text"].rstrip() or FILLER


def _messages(messages: list[Any]) -> tuple[list[dict], list[dict]]:
    system: list[dict] = []  # text blocks (cache_control kept)
    turns: list[dict] = []
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        role = msg.get("role")
        content = msg.get("content")
        if role in ("system", "developer"):
            system.extend(b for b in _user_blocks(content) if b.get("type") == "text")
        elif role == "tool":
            _append(turns, "user", [_tool_result(msg)], None)
        elif role == "assistant":
            if msg.get("tool_calls"):
                blocks = _assistant_blocks(msg)
                _append(turns, "assistant", blocks, None)
            elif isinstance(content, str) and content:
                _append(turns, "assistant", [], content)
            else:
                blocks = _user_blocks(content)
                if blocks:
                    _append(turns, "assistant", blocks, None)
                else:
                    _append(turns, "assistant", [], FILLER)
        else:  # user (and anything unknown, which OpenAI would reject anyway)
            if isinstance(content, str):
                _append(turns, "user", [], content or FILLER)
            else:
                _append(turns, "user", _user_blocks(content) or [{"type": "text", "text": FILLER}], None)
    if not turns or turns[0]["role"] != "user":
        turns.insert(0, {"role": "user", "content": FILLER})
    return turns, system


def _tools(tools: Any) -> list[dict]:
    out = []
    for tool in tools or []:
        if not isinstance(tool, dict) or tool.get("type", "function") != "function":
            continue
        fn = tool.get("function") or {}
        if not fn.get("name"):
            continue
        schema = fn.get("parameters") or {"type": "object", "properties": {}}
        item = {"name": fn["name"], "input_schema": schema}
        if fn.get("description"):
            item["description"] = fn["description"]
        out.append(item)
    return out


def _tool_choice(choice: Any, parallel: Any) -> dict | None:
    result: dict | None = None
    if choice == "auto":
        result = {"type": "auto"}
    elif choice == "required":
        result = {"type": "any"}
    elif choice == "none":
        result = {"type": "none"}
    elif isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        if name:
            result = {"type": "tool", "name": name}
    if parallel is False:
        result = result or {"type": "auto"}
        if result["type"] != "none":
            result["disable_parallel_tool_use"] = True
    return result


def openai_to_claude_request(req: dict, model: str, options: ClaudeOptions | None = None) -> dict:
    """A Claude Messages body for an OpenAI chat body. `model` is the upstream model name; a
    `-thinking` suffix on it turns on extended thinking (and is stripped)."""
    options = options or ClaudeOptions()
    out: dict[str, Any] = {}
    suffix = split_thinking_suffix(model) if options.thinking_adapter else ThinkingSuffix(model)
    out["model"] = model = suffix.model
    turns, system = _messages(req.get("messages") or [])
    if len(system) == 1 and "cache_control" not in system[0]:
        out["system"] = system[0]["text"]
    elif system:
        out["system"] = system
    _strip_trailing_space(turns)
    out["messages"] = turns
    max_tokens = req.get("max_completion_tokens") or req.get("max_tokens") or 0
    out["max_tokens"] = (
        max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else options.default_max_tokens
    )
    if req.get("stream") is True:
        out["stream"] = True
    for name in ("temperature", "top_p", "top_k"):
        if isinstance(req.get(name), int | float) and not isinstance(req.get(name), bool):
            out[name] = req[name]
    if "temperature" in out:
        out["temperature"] = min(max(out["temperature"], 0), 1)  # OpenAI allows up to 2, Claude 1
    stop = req.get("stop")
    if isinstance(stop, str) and stop:
        out["stop_sequences"] = [stop]
    elif isinstance(stop, list) and stop:
        out["stop_sequences"] = [s for s in stop if isinstance(s, str) and s]
    tools = _tools(req.get("tools"))
    if tools:
        out["tools"] = tools
        choice = _tool_choice(req.get("tool_choice"), req.get("parallel_tool_calls"))
        if choice:
            out["tool_choice"] = choice
    user = req.get("user")
    if isinstance(user, str) and user:
        out["metadata"] = {"user_id": user}

    budget, out["max_tokens"] = thinking_for(suffix, out["max_tokens"], options.thinking_budget_ratio,
                                             options.default_max_tokens)
    if not budget and not suffix.off and req.get("reasoning_effort") in EFFORT_BUDGETS:
        budget = EFFORT_BUDGETS[req["reasoning_effort"]]
        if out["max_tokens"] <= budget:  # Claude requires max_tokens > budget_tokens
            out["max_tokens"] = budget + options.default_max_tokens
    if budget:
        out["thinking"] = {"type": "enabled", "budget_tokens": budget}
        out["temperature"] = 1  # extended thinking rejects any other temperature
        out.pop("top_p", None)
        out.pop("top_k", None)
    return out


# -- response ---------------------------------------------------------------------------------

STOP_REASONS = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
}


def claude_stop_reason(finish_reason: str | None) -> str:
    if finish_reason == "content_filter":
        return "refusal"
    return STOP_REASONS.get(finish_reason or "stop", "end_turn")


def openai_to_claude_response(resp: dict, usage: Usage, model: str | None = None) -> dict:
    """A Claude Messages reply for an OpenAI chat completion."""
    choices = resp.get("choices") or [{}]
    choice = choices[0] if isinstance(choices[0], dict) else {}
    msg = choice.get("message") or {}
    content: list[dict] = []
    reasoning = msg.get("reasoning_content") or msg.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        content.append({"type": "thinking", "thinking": reasoning, "signature": ""})
    text = _text_of(msg.get("content"))
    if text:
        content.append({"type": "text", "text": text})
    for call in msg.get("tool_calls") or []:
        fn = call.get("function") or {}
        content.append(
            {
                "type": "tool_use",
                "id": call.get("id") or "",
                "name": fn.get("name") or "",
                "input": _tool_input(fn.get("arguments")),
            }
        )
    return {
        "id": resp.get("id") or f"msg_{int(time.time() * 1000)}",
        "type": "message",
        "role": "assistant",
        "model": model or resp.get("model") or "",
        "content": content,
        "stop_reason": claude_stop_reason(choice.get("finish_reason")),
        "stop_sequence": None,
        "usage": claude_usage_dict(usage),
    }


class OpenAIToClaudeStream:
    """OpenAI chat chunks in, Claude stream events (`(type, payload)` pairs) out.

    One block is open at a time: a change of kind (thinking -> text, a new tool call) closes it
    and opens the next at the following index, which is how Claude numbers content blocks.
    """

    def __init__(self, model: str, prompt_tokens: int = 0) -> None:
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.started = False
        self.index = -1
        self.open_kind: str | None = None  # "text" | "thinking" | "tool_use"
        self.open_tool: int | None = None  # OpenAI tool_calls index of the open tool_use block
        self.open_tool_id: str | None = None
        self.finish_reason: str | None = None
        self.id = ""

    def _start(self, chunk: dict) -> list[tuple[str, dict]]:
        self.started = True
        self.id = chunk.get("id") or f"msg_{int(time.time() * 1000)}"
        message: dict[str, Any] = {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": self.prompt_tokens, "output_tokens": 0},
        }
        return [("message_start", {"type": "message_start", "message": message})]

    def _close(self) -> list[tuple[str, dict]]:
        if self.open_kind is None:
            return []
        self.open_kind = None
        self.open_tool = None
        return [("content_block_stop", {"type": "content_block_stop", "index": self.index})]

    def _open(self, kind: str, block: dict) -> list[tuple[str, dict]]:
        events = self._close()
        self.index += 1
        self.open_kind = kind
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": self.index, "content_block": block},
            )
        )
        return events

    def _delta(self, delta: dict) -> tuple[str, dict]:
        return ("content_block_delta", {"type": "content_block_delta", "index": self.index, "delta": delta})

    def feed(self, chunk: dict) -> list[tuple[str, dict]]:
        events: list[tuple[str, dict]] = [] if self.started else self._start(chunk)
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                if self.open_kind != "thinking":
                    events += self._open("thinking", {"type": "thinking", "thinking": "", "signature": ""})
                events.append(self._delta({"type": "thinking_delta", "thinking": reasoning}))
            text = delta.get("content")
            if isinstance(text, str) and text:
                if self.open_kind != "text":
                    events += self._open("text", {"type": "text", "text": ""})
                events.append(self._delta({"type": "text_delta", "text": text}))
            for call in delta.get("tool_calls") or []:
                if not isinstance(call, dict):
                    continue
                fn = call.get("function") or {}
                idx = call.get("index", 0)
                new_id = call.get("id")
                # some providers omit `index`; a fresh id still means a new call
                if (
                    self.open_kind != "tool_use"
                    or idx != self.open_tool
                    or (new_id and new_id != self.open_tool_id)
                ):
                    self.open_tool_id = new_id
                    events += self._open(
                        "tool_use",
                        {
                            "type": "tool_use",
                            "id": call.get("id") or "",
                            "name": fn.get("name") or "",
                            "input": {},
                        },
                    )
                    self.open_tool = idx
                args = fn.get("arguments")
                if isinstance(args, str) and args:
                    events.append(self._delta({"type": "input_json_delta", "partial_json": args}))
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
        return events

    def finish(self, usage: Usage) -> list[tuple[str, dict]]:
        events: list[tuple[str, dict]] = [] if self.started else self._start({})
        events += self._close()
        events.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": claude_stop_reason(self.finish_reason), "stop_sequence": None},
                    "usage": claude_usage_dict(usage),
                },
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        return events
