"""Claude Messages -> OpenAI Chat Completions: responses/streams (Claude channel answering an
OpenAI client) and requests (a /v1/messages client sent to an OpenAI-format channel).
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from backend.models.usage import Usage
from backend.relay.convert.usage import claude_usage, openai_usage_dict

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def openai_finish_reason(stop_reason: str | None) -> str | None:
    if stop_reason is None:
        return None
    return FINISH_REASONS.get(stop_reason, "stop")


# -- response ---------------------------------------------------------------------------------


def claude_to_openai_response(resp: dict) -> tuple[dict, Usage | None, str]:
    """(chat completion, usage for billing, completion text) for a Claude Messages reply."""
    texts: list[str] = []
    thinking: list[str] = []
    calls: list[dict] = []
    for block in resp.get("content") or []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text") or "")
        elif kind == "thinking":
            thinking.append(block.get("thinking") or "")
        elif kind == "tool_use":
            calls.append(
                {
                    "id": block.get("id") or "",
                    "type": "function",
                    "function": {
                        "name": block.get("name") or "",
                        "arguments": orjson.dumps(block.get("input") or {}).decode(),
                    },
                }
            )
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts or not calls else None}
    if thinking:
        message["reasoning_content"] = "".join(thinking)
    if calls:
        message["tool_calls"] = calls
    usage = claude_usage(resp.get("usage"))
    out = {
        "id": resp.get("id") or "",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": resp.get("model") or "",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": openai_finish_reason(resp.get("stop_reason")) or "stop",
            }
        ],
        "usage": openai_usage_dict(usage or Usage(semantics="anthropic")),
    }
    text = (
        "".join(thinking)
        + "".join(texts)
        + "".join(c["function"]["name"] + c["function"]["arguments"] for c in calls)
    )
    return out, usage, text


class ClaudeToOpenAIStream:
    """Claude stream events in, OpenAI chat chunks out; collects usage from message_start and
    message_delta (the latter's counts are cumulative, so they replace the former's)."""

    def __init__(self) -> None:
        self.id = ""
        self.model = ""
        self.created = int(time.time())
        self.usage_raw: dict[str, Any] = {}
        self.tool_index = -1
        self.block_tool: dict[int, int] = {}  # Claude block index -> OpenAI tool_calls index
        self.finish_reason: str | None = None
        self.error: dict | None = None

    @property
    def usage(self) -> Usage | None:
        return claude_usage(self.usage_raw)

    def chunk(self, delta: dict, finish_reason: str | None = None) -> dict:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }

    def feed(self, event: dict) -> list[dict]:
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message") or {}
            self.id = message.get("id") or self.id
            self.model = message.get("model") or self.model
            self.usage_raw.update({k: v for k, v in (message.get("usage") or {}).items() if v is not None})
            return [self.chunk({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            block = event.get("content_block") or {}
            if block.get("type") == "tool_use":
                self.tool_index += 1
                self.block_tool[event.get("index", 0)] = self.tool_index
                call = {
                    "index": self.tool_index,
                    "id": block.get("id") or "",
                    "type": "function",
                    "function": {"name": block.get("name") or "", "arguments": ""},
                }
                return [self.chunk({"tool_calls": [call]})]
            if block.get("type") == "text" and block.get("text"):
                return [self.chunk({"content": block["text"]})]
            return []
        if kind == "content_block_delta":
            delta = event.get("delta") or {}
            dtype = delta.get("type")
            if dtype == "text_delta":
                return [self.chunk({"content": delta.get("text") or ""})]
            if dtype == "thinking_delta":
                return [self.chunk({"reasoning_content": delta.get("thinking") or ""})]
            if dtype == "input_json_delta":
                idx = self.block_tool.get(event.get("index", 0), max(self.tool_index, 0))
                call = {"index": idx, "function": {"arguments": delta.get("partial_json") or ""}}
                return [self.chunk({"tool_calls": [call]})]
            return []  # signature_delta, citations: nothing an OpenAI client can use
        if kind == "message_delta":
            self.usage_raw.update({k: v for k, v in (event.get("usage") or {}).items() if v is not None})
            self.finish_reason = openai_finish_reason((event.get("delta") or {}).get("stop_reason"))
            return [self.chunk({}, self.finish_reason or "stop")]
        if kind == "error":
            self.error = event.get("error") or {"type": "api_error", "message": "upstream stream error"}
        return []  # ping, content_block_stop, message_stop


# -- request ----------------------------------------------------------------------------------


def _blocks_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
        )
    return ""


def _image_part(block: dict) -> dict | None:
    source = block.get("source") or {}
    if source.get("type") == "base64" and source.get("data"):
        url = f"data:{source.get('media_type') or 'image/png'};base64,{source['data']}"
    elif source.get("type") == "url" and source.get("url"):
        url = source["url"]
    else:
        return None
    return {"type": "image_url", "image_url": {"url": url}}


def _user_messages(content: Any) -> list[dict]:
    """A Claude user turn as OpenAI messages: tool results first (role tool), then the rest."""
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    tools: list[dict] = []
    parts: list[dict] = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "tool_result":
            text = _blocks_text(block.get("content"))
            tools.append({"role": "tool", "tool_call_id": block.get("tool_use_id") or "", "content": text})
        elif kind == "text":
            parts.append({"type": "text", "text": block.get("text") or ""})
        elif kind == "image":
            part = _image_part(block)
            if part:
                parts.append(part)
        elif kind == "document":
            source = block.get("source") or {}
            if source.get("type") == "base64":
                data = f"data:{source.get('media_type') or 'application/pdf'};base64,{source.get('data', '')}"
                parts.append({"type": "file", "file": {"filename": "document.pdf", "file_data": data}})
            elif source.get("type") == "text":
                parts.append({"type": "text", "text": source.get("data") or ""})
    out = tools
    if parts:
        if all(p["type"] == "text" for p in parts):
            out.append({"role": "user", "content": "\n".join(p["text"] for p in parts)})
        else:
            out.append({"role": "user", "content": parts})
    return out


def _assistant_message(content: Any) -> dict:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[str] = []
    calls: list[dict] = []
    for block in content if isinstance(content, list) else []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text":
            texts.append(block.get("text") or "")
        elif block.get("type") == "tool_use":
            calls.append(
                {
                    "id": block.get("id") or "",
                    "type": "function",
                    "function": {
                        "name": block.get("name") or "",
                        "arguments": orjson.dumps(block.get("input") or {}).decode(),
                    },
                }
            )
    msg: dict[str, Any] = {"role": "assistant", "content": "".join(texts) if texts or not calls else None}
    if calls:
        msg["tool_calls"] = calls
    return msg


def _effort(budget: Any) -> str:
    if not isinstance(budget, int) or budget <= 1280:
        return "low"
    return "medium" if budget <= 2048 else "high"


def _is_reasoning_model(model: str) -> bool:
    return model.startswith(("o1", "o3", "o4", "gpt-5"))


def claude_to_openai_request(req: dict, model: str) -> dict:
    """An OpenAI chat body for a Claude Messages body (`model` = the upstream model name)."""
    messages: list[dict] = []
    system = _blocks_text(req.get("system"))
    if system:
        messages.append({"role": "system", "content": system})
    for msg in req.get("messages") or []:
        if not isinstance(msg, dict):
            continue
        if msg.get("role") == "assistant":
            messages.append(_assistant_message(msg.get("content")))
        else:
            messages.extend(_user_messages(msg.get("content")))
    out: dict[str, Any] = {"model": model, "messages": messages}
    if isinstance(req.get("max_tokens"), int) and req["max_tokens"] > 0:
        out["max_tokens"] = req["max_tokens"]
    for name in ("temperature", "top_p"):
        if isinstance(req.get(name), int | float) and not isinstance(req.get(name), bool):
            out[name] = req[name]
    if req.get("stop_sequences"):
        out["stop"] = req["stop_sequences"]
    if req.get("stream") is True:
        out["stream"] = True
    tools = []
    for tool in req.get("tools") or []:
        # server tools (web_search_..., bash_...) carry a `type` and have no OpenAI equivalent
        if not isinstance(tool, dict) or tool.get("type") not in (None, "custom") or not tool.get("name"):
            continue
        fn: dict[str, Any] = {
            "name": tool["name"],
            "parameters": tool.get("input_schema") or {"type": "object"},
        }
        if tool.get("description"):
            fn["description"] = tool["description"]
        tools.append({"type": "function", "function": fn})
    if tools:
        out["tools"] = tools
        choice = req.get("tool_choice") or {}
        kind = choice.get("type") if isinstance(choice, dict) else None
        if kind == "any":
            out["tool_choice"] = "required"
        elif kind == "none":
            out["tool_choice"] = "none"
        elif kind == "tool" and choice.get("name"):
            out["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
        elif kind == "auto":
            out["tool_choice"] = "auto"
        if isinstance(choice, dict) and choice.get("disable_parallel_tool_use") is True:
            out["parallel_tool_calls"] = False
    thinking = req.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled" and _is_reasoning_model(model):
        out["reasoning_effort"] = _effort(thinking.get("budget_tokens"))
    metadata = req.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
        out["user"] = metadata["user_id"]
    return out
