"""OpenAI Responses -> Chat Completions: a /v1/responses client on a channel that speaks Chat (an
OpenAI-compatible Chat-only provider, or Claude / Gemini / Bedrock... through their Chat converters).

Three pure pieces: the request (`responses_to_chat_request`), the whole reply
(`chat_to_responses_response`) and the stream (`ChatToResponsesStream`: chat chunks in, Responses
events out, in the order the official SDK's stream accumulator requires: created, in_progress,
output_item.added, content_part.added, deltas, the .done events, output_item.done, completed).

Responses features a Chat upstream cannot honour are refused (`ResponsesConvertError`, a 400)
instead of being dropped silently: `previous_response_id` / `conversation` (the upstream keeps no
state), `background`, stored `prompt` templates, `item_reference` inputs, and built-in tools
forced by tool_choice (web search, file search, code interpreter...: only OpenAI runs them; merely
offered, they are left out). `namespace` tool groups are flattened, their calls given back the namespace.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from backend.json_shape import object_at
from backend.models.usage import Usage

STATEFUL_FIELDS = ("previous_response_id", "conversation", "background", "prompt")
# chat fields a Responses body carries under the same name and meaning
SAME_FIELDS = ("temperature", "top_p", "parallel_tool_calls", "user", "service_tier", "prompt_cache_key",
               "safety_identifier", "top_logprobs")
INCOMPLETE_REASONS = {"length": "max_output_tokens", "content_filter": "content_filter"}


class ResponsesConvertError(ValueError):
    """The Responses request cannot be expressed as a Chat request (the caller's 400)."""


# -- request ----------------------------------------------------------------------------------


def _part(part: Any) -> dict | None:
    """One Responses content part as a Chat content part."""
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, dict):
        return None
    kind = part.get("type")
    if kind in ("input_text", "output_text", "text", "summary_text", "reasoning_text"):
        return {"type": "text", "text": str(part.get("text") or "")}
    if kind == "refusal":
        return {"type": "text", "text": str(part.get("refusal") or "")}
    if kind == "input_image":
        url = part.get("image_url")
        if not isinstance(url, str) or not url:
            raise ResponsesConvertError("input_image needs an image_url on this channel (file_id is OpenAI-only)")
        image: dict[str, Any] = {"url": url}
        if isinstance(part.get("detail"), str):
            image["detail"] = part["detail"]
        return {"type": "image_url", "image_url": image}
    if kind == "input_file":
        file = {k: part[k] for k in ("file_data", "file_id", "filename") if isinstance(part.get(k), str)}
        if not file:
            raise ResponsesConvertError("input_file needs file_data on this channel")
        return {"type": "file", "file": file}
    if kind == "input_audio":
        nested = part.get("input_audio")
        audio = nested if isinstance(nested, dict) else part
        return {"type": "input_audio", "input_audio": {"data": audio.get("data"), "format": audio.get("format")}}
    raise ResponsesConvertError(f"content type '{str(kind)[:64]}' is not supported on this channel")


def _content(content: Any) -> str | list[dict]:
    if isinstance(content, str):
        return content
    parts = [p for p in (_part(x) for x in content) if p is not None] if isinstance(content, list) else []
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)  # plain text: the widest-supported shape
    return parts


def _text(content: Any) -> str:
    out = _content(content)
    return out if isinstance(out, str) else "".join(p.get("text", "") for p in out if p.get("type") == "text")


def _call_arguments(item: dict) -> str:
    if item.get("type") == "custom_tool_call":
        return orjson.dumps({"input": str(item.get("input") or "")}).decode()
    args = item.get("arguments")
    return args if isinstance(args, str) else orjson.dumps(args if args is not None else {}).decode()


def _messages(req: dict) -> list[dict]:
    messages: list[dict] = []
    instructions = req.get("instructions")
    if isinstance(instructions, str) and instructions:
        messages.append({"role": "system", "content": instructions})
    items = req.get("input")
    if isinstance(items, str):
        items = [{"role": "user", "content": items}]
    if not isinstance(items, list):
        raise ResponsesConvertError("input must be a string or a list of items")
    for item in items:
        if not isinstance(item, dict):
            raise ResponsesConvertError("each input item must be an object")
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind == "message":
            role = item.get("role")
            if role not in ("user", "assistant", "system", "developer"):
                raise ResponsesConvertError(f"unknown message role '{str(role)[:32]}'")
            role = "system" if role == "developer" else role
            content: Any = _text(item.get("content")) if role != "user" else _content(item.get("content"))
            last = messages[-1] if messages else None
            if role == "assistant" and last and last["role"] == "assistant" and not last.get("content"):
                last["content"] = content  # text after the calls of the same turn
            else:
                messages.append({"role": role, "content": content})
        elif kind in ("function_call", "custom_tool_call"):
            call = {"id": str(item.get("call_id") or item.get("id") or ""), "type": "function",
                    "function": {"name": str(item.get("name") or ""), "arguments": _call_arguments(item)}}
            last = messages[-1] if messages else None
            if last and last["role"] == "assistant":  # parallel calls: one assistant turn
                last.setdefault("tool_calls", []).append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind in ("function_call_output", "custom_tool_call_output"):
            output = item.get("output")
            messages.append({"role": "tool", "tool_call_id": str(item.get("call_id") or ""),
                             "content": output if isinstance(output, str) else _text(output)})
        elif kind == "reasoning":
            continue  # the upstream's own reasoning is not input a Chat model takes
        else:
            raise ResponsesConvertError(f"input item type '{str(kind)[:64]}' is not supported on this channel")
    return messages


@dataclass(frozen=True, slots=True)
class ToolNames:
    """What a Chat tool name stood for in the Responses request: a custom (free-form) tool, whose
    calls travel as one `input` string, or a function inside a `namespace` tool group."""

    custom: frozenset[str] = frozenset()
    namespaces: Mapping[str, str] = field(default_factory=dict)


def _function(tool: dict) -> dict:
    fn = {"name": tool.get("name"), "parameters": tool.get("parameters") or {"type": "object", "properties": {}}}
    for name in ("description", "strict"):
        if tool.get(name) is not None:
            fn[name] = tool[name]
    return {"type": "function", "function": fn}


def _tools(tools: Any) -> tuple[list[dict], ToolNames]:
    """Chat tools for the Responses tools. Hosted tools (web search, file search, code interpreter...)
    are offers only OpenAI can take up: they are left out, as a model without them would simply not
    use them (Codex CLI offers web_search to every model); a tool_choice that forces one is refused."""
    out: list[dict] = []
    custom: set[str] = set()
    namespaces: dict[str, str] = {}
    for tool in tools if isinstance(tools, list) else []:
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind == "namespace":
            for inner in tool.get("tools") or ():
                if isinstance(inner, dict) and inner.get("type") == "function":
                    namespaces[str(inner.get("name") or "")] = str(tool.get("name") or "")
                    out.append(_function(inner))
        elif kind == "function":
            out.append(_function(tool))
        elif kind == "custom":
            name = str(tool.get("name") or "")
            custom.add(name)
            params = {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}
            out.append({"type": "function", "function": {"name": name, "description": tool.get("description") or "",
                                                          "parameters": params}})
        elif not isinstance(kind, str) or not kind:
            raise ResponsesConvertError("each tool needs a type")
    return out, ToolNames(frozenset(custom), namespaces)


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, str):
        return choice
    if isinstance(choice, dict) and choice.get("type") in ("function", "custom") and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
        return choice.get("mode") or "auto"
    if isinstance(choice, dict) and choice.get("type"):
        raise ResponsesConvertError(f"tool_choice '{str(choice['type'])[:64]}' is only available on OpenAI channels")
    return None


def _response_format(text: Any) -> dict | None:
    fmt = text.get("format") if isinstance(text, dict) else None
    if not isinstance(fmt, dict) or fmt.get("type") in (None, "text"):
        return None
    if fmt.get("type") == "json_schema":
        schema = {k: fmt[k] for k in ("name", "schema", "strict", "description") if k in fmt}
        return {"type": "json_schema", "json_schema": schema}
    return {"type": fmt["type"]}


def responses_to_chat_request(req: dict, model: str) -> dict:
    """The Chat Completions body for a Responses body (raises ResponsesConvertError)."""
    for name in STATEFUL_FIELDS:
        if req.get(name):
            raise ResponsesConvertError(f"{name} is not supported on this channel: it keeps no response state")
    out: dict[str, Any] = {"model": model, "messages": _messages(req)}
    tools, _ = _tools(req.get("tools"))
    choice = _tool_choice(req.get("tool_choice"))  # before the tools: a forced hosted tool is refused
    if tools:
        out["tools"] = tools
        if choice is not None:
            out["tool_choice"] = choice
    for name in SAME_FIELDS:
        if req.get(name) is not None:
            out[name] = req[name]
    if req.get("top_logprobs") is not None:
        out["logprobs"] = True
    if isinstance(req.get("max_output_tokens"), int):
        out["max_tokens"] = req["max_output_tokens"]
    reasoning = req.get("reasoning")
    if isinstance(reasoning, dict) and isinstance(reasoning.get("effort"), str):
        out["reasoning_effort"] = reasoning["effort"]
    response_format = _response_format(req.get("text"))
    if response_format is not None:
        out["response_format"] = response_format
    text = req.get("text")
    if isinstance(text, dict) and isinstance(text.get("verbosity"), str):
        out["verbosity"] = text["verbosity"]
    if req.get("stream") is True:
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}  # a Responses stream always ends with usage
    return out


def tool_names(req: dict) -> ToolNames:
    """What the request's tool names stand for: calls go back as custom_tool_call items, or as
    function_call items with their namespace."""
    try:
        return _tools(req.get("tools"))[1]
    except ResponsesConvertError:
        return ToolNames()


# -- reply ------------------------------------------------------------------------------------


def usage_object(usage: Usage | None, raw: Any = None) -> dict[str, Any] | None:
    """Responses `usage` from the billed usage; reasoning tokens from the Chat usage when it had them."""
    if usage is None:
        return None
    details = raw.get("completion_tokens_details") if isinstance(raw, dict) else None
    reasoning = details.get("reasoning_tokens") if isinstance(details, dict) else None
    prompt = usage.total_prompt_tokens
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning if isinstance(reasoning, int) else 0},
        "total_tokens": prompt + usage.completion_tokens,
    }


def response_shell(req: dict, rid: str, model: str, created: int) -> dict[str, Any]:
    """The fields of a Response object that echo the request (status, output, usage filled later)."""
    reasoning = object_at(req, "reasoning")
    text = object_at(req, "text")
    return {
        "id": rid,
        "object": "response",
        "created_at": created,
        "status": "in_progress",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": req.get("instructions"),
        "max_output_tokens": req.get("max_output_tokens"),
        "model": model,
        "output": [],
        "parallel_tool_calls": req.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
        "store": False,
        "temperature": req.get("temperature"),
        "text": {"format": text.get("format") or {"type": "text"}, **({"verbosity": text["verbosity"]}
                                                                       if "verbosity" in text else {})},
        "tool_choice": req.get("tool_choice", "auto"),
        "tools": req.get("tools") or [],
        "top_p": req.get("top_p"),
        "truncation": "disabled",
        "usage": None,
        "user": req.get("user"),
        "metadata": req.get("metadata") or {},
    }


def finish_status(finish_reason: str | None) -> tuple[str, dict | None]:
    """(status, incomplete_details) for a Chat finish reason."""
    reason = INCOMPLETE_REASONS.get(finish_reason or "")
    return ("incomplete", {"reason": reason}) if reason else ("completed", None)


def message_item(item_id: str, text: str, status: str = "completed") -> dict:
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": [part]}


def reasoning_item(item_id: str, text: str) -> dict:
    return {"id": item_id, "type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}


def call_item(item_id: str, call_id: str, name: str, arguments: str, names: ToolNames,
              status: str = "completed") -> dict:
    if name in names.custom:
        try:
            value = orjson.loads(arguments or "{}")
        except orjson.JSONDecodeError:
            value = None
        text = value.get("input") if isinstance(value, dict) and isinstance(value.get("input"), str) else arguments
        return {"id": item_id, "type": "custom_tool_call", "status": status, "call_id": call_id, "name": name,
                "input": text}
    item = {"id": item_id, "type": "function_call", "status": status, "call_id": call_id, "name": name,
            "arguments": arguments}
    if name in names.namespaces:
        item["namespace"] = names.namespaces[name]
    return item


def chat_to_responses_response(chat: dict, req: dict, usage: Usage | None, model: str) -> dict:
    """A Response object for a whole Chat Completion (the client's model name; the billed usage)."""
    base = str(chat.get("id") or f"{time.time_ns():x}")
    out = response_shell(req, "resp_" + base, model, int(chat.get("created") or time.time()))
    names = tool_names(req)
    choice = next((c for c in chat.get("choices") or () if isinstance(c, dict)), {})
    message = object_at(choice, "message")
    output: list[dict] = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        output.append(reasoning_item(f"rs_{base}", reasoning))
    if isinstance(message.get("content"), str) and message["content"]:
        output.append(message_item(f"msg_{base}", message["content"]))
    if isinstance(message.get("refusal"), str) and message["refusal"]:
        output.append({"id": f"msg_{base}_refusal", "type": "message", "status": "completed", "role": "assistant",
                       "content": [{"type": "refusal", "refusal": message["refusal"]}]})
    for n, call in enumerate(message.get("tool_calls") or ()):
        fn = call.get("function") if isinstance(call, dict) else None
        if isinstance(fn, dict):
            call_id = str(call.get("id") or f"call_{base}_{n}")
            output.append(call_item(f"fc_{base}_{n}", call_id, str(fn.get("name") or ""),
                                    str(fn.get("arguments") or ""), names))
    status, incomplete = finish_status(choice.get("finish_reason"))
    out.update(status=status, incomplete_details=incomplete, output=output,
               usage=usage_object(usage, chat.get("usage")))
    return out


def counting_view(req: dict) -> dict:
    """A Chat body with the Responses body's prompt, for local token counting only: lenient where
    the conversion is strict (state fields and built-in tools ignored, odd input counted as text)."""
    lenient = {k: v for k, v in req.items() if k not in (*STATEFUL_FIELDS, "stream", "tool_choice")}
    try:
        return responses_to_chat_request(lenient, str(req.get("model") or ""))
    except ResponsesConvertError:
        text = orjson.dumps(req.get("input")).decode() if req.get("input") is not None else ""
        return {"messages": [{"role": "user", "content": text}]}
