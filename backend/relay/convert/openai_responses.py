"""Chat Completions -> OpenAI Responses: a /v1/chat/completions client on a Responses-only upstream
model (Codex channels, `*-codex` and the other models OpenAI serves on /v1/responses only).

Pure pieces: the request (`chat_to_responses_request`), the whole reply (`responses_to_chat_response`)
and the stream (`ResponsesToChatStream`: Responses events in, chat chunks out). Leading system
messages become `instructions`; later ones stay in the input as `developer` messages.
"""

from __future__ import annotations

import time
from typing import Any

from backend.json_shape import object_at
from backend.models.usage import Usage
from backend.relay.convert.usage import responses_usage

# Responses fields a Chat body carries under the same name and meaning
SAME_FIELDS = ("temperature", "top_p", "parallel_tool_calls", "user", "store", "metadata", "service_tier",
               "prompt_cache_key", "safety_identifier", "top_logprobs")
FINISH_BY_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


class ChatConvertError(ValueError):
    """The Chat request cannot be expressed as a Responses request (the caller's 400)."""


# -- request ----------------------------------------------------------------------------------


def _part(part: Any, role: str) -> dict | None:
    if isinstance(part, str):
        return {"type": "output_text" if role == "assistant" else "input_text", "text": part}
    if not isinstance(part, dict):
        return None
    kind = part.get("type")
    if kind == "text":
        return {"type": "output_text" if role == "assistant" else "input_text", "text": str(part.get("text") or "")}
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        detail = image.get("detail") if isinstance(image, dict) else None
        return {"type": "input_image", "image_url": str(url or ""), "detail": detail or "auto"}
    if kind == "file":
        file = object_at(part, "file")
        return {"type": "input_file", **{k: file[k] for k in ("file_data", "file_id", "filename") if k in file}}
    raise ChatConvertError(f"content type '{str(kind)[:64]}' is not supported by this model's Responses API")


def _content(content: Any, role: str) -> str | list[dict]:
    if isinstance(content, str) or content is None:
        return content or ""
    if not isinstance(content, list):
        raise ChatConvertError("message content must be a string or a list of parts")
    return [p for p in (_part(x, role) for x in content) if p is not None]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text") or "") for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def _input(messages: list[Any]) -> tuple[str | None, list[dict]]:
    instructions: list[str] = []
    items: list[dict] = []
    for msg in messages:
        if not isinstance(msg, dict):
            raise ChatConvertError("each message must be an object")
        role = msg.get("role")
        if role in ("system", "developer"):
            if not items:
                instructions.append(_text(msg.get("content")))
            else:
                items.append({"type": "message", "role": "developer", "content": _text(msg.get("content"))})
        elif role == "user":
            items.append({"type": "message", "role": "user", "content": _content(msg.get("content"), "user")})
        elif role == "assistant":
            text = _text(msg.get("content")) or (msg.get("refusal") if isinstance(msg.get("refusal"), str) else "")
            if text:
                items.append({"type": "message", "role": "assistant",
                              "content": [{"type": "output_text", "text": text}]})
            for call in msg.get("tool_calls") or ():
                fn = call.get("function") if isinstance(call, dict) else None
                if isinstance(fn, dict):
                    items.append({"type": "function_call", "call_id": str(call.get("id") or ""),
                                  "name": str(fn.get("name") or ""), "arguments": str(fn.get("arguments") or "")})
        elif role == "tool":
            items.append({"type": "function_call_output", "call_id": str(msg.get("tool_call_id") or ""),
                          "output": _text(msg.get("content"))})
        else:
            raise ChatConvertError(f"message role '{str(role)[:32]}' is not supported by this model's Responses API")
    return ("\n\n".join(instructions) if instructions else None), items


def _tools(tools: Any) -> list[dict]:
    out = []
    for tool in tools if isinstance(tools, list) else []:
        fn = tool.get("function") if isinstance(tool, dict) and tool.get("type") == "function" else None
        if not isinstance(fn, dict):
            raise ChatConvertError("only function tools can be sent to this model's Responses API")
        item = {"type": "function", "name": fn.get("name"), "parameters": fn.get("parameters") or {"type": "object",
                                                                                                   "properties": {}}}
        for name in ("description", "strict"):
            if fn.get(name) is not None:
                item[name] = fn[name]
        out.append(item)
    return out


def _tool_choice(choice: Any) -> Any:
    if isinstance(choice, dict) and choice.get("type") == "function":
        fn = object_at(choice, "function")
        return {"type": "function", "name": fn.get("name")}
    return choice


def _text_config(req: dict) -> dict | None:
    out: dict[str, Any] = {}
    fmt = req.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = object_at(fmt, "json_schema")
        out["format"] = {"type": "json_schema", **schema}
    elif isinstance(fmt, dict) and fmt.get("type") in ("json_object", "text"):
        out["format"] = {"type": fmt["type"]}
    if isinstance(req.get("verbosity"), str):
        out["verbosity"] = req["verbosity"]
    return out or None


def chat_to_responses_request(req: dict, model: str) -> dict:
    """The Responses body for a Chat Completions body (raises ChatConvertError)."""
    if isinstance(req.get("n"), int) and req["n"] > 1:
        raise ChatConvertError("n > 1 is not supported by this model's Responses API")
    messages = req.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ChatConvertError("messages is required")
    instructions, items = _input(messages)
    out: dict[str, Any] = {"model": model, "input": items}
    if instructions is not None:
        out["instructions"] = instructions
    tools = _tools(req.get("tools"))
    if tools:
        out["tools"] = tools
        if req.get("tool_choice") is not None:
            out["tool_choice"] = _tool_choice(req["tool_choice"])
    for name in SAME_FIELDS:
        if req.get(name) is not None:
            out[name] = req[name]
    limits = [v for k in ("max_completion_tokens", "max_tokens") if isinstance(v := req.get(k), int) and v > 0]
    if limits:
        out["max_output_tokens"] = max(limits)
    if isinstance(req.get("reasoning_effort"), str):
        out["reasoning"] = {"effort": req["reasoning_effort"], "summary": "auto"}
    text = _text_config(req)
    if text is not None:
        out["text"] = text
    if req.get("stream") is True:
        out["stream"] = True
    return out


# -- reply ------------------------------------------------------------------------------------


def chat_usage(raw: Any) -> dict[str, Any] | None:
    """A Chat `usage` object for a Responses `usage` object."""
    usage = responses_usage(raw)
    if usage is None:
        return None
    out: dict[str, Any] = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                           "total_tokens": usage.prompt_tokens + usage.completion_tokens,
                           "prompt_tokens_details": {"cached_tokens": usage.cached_tokens}}
    details = raw.get("output_tokens_details")
    if isinstance(details, dict) and isinstance(details.get("reasoning_tokens"), int):
        out["completion_tokens_details"] = {"reasoning_tokens": details["reasoning_tokens"]}
    return out


def finish_reason(resp: dict, called_tools: bool) -> str:
    details = object_at(resp, "incomplete_details")
    reason = FINISH_BY_INCOMPLETE.get(str(details.get("reason") or ""))
    if resp.get("status") == "incomplete" and reason:
        return reason
    return "tool_calls" if called_tools else "stop"


def _call(item: dict, index: int | None = None) -> dict:
    args = item.get("arguments") if item.get("type") == "function_call" else item.get("input")
    call = {"id": str(item.get("call_id") or item.get("id") or ""), "type": "function",
            "function": {"name": str(item.get("name") or ""), "arguments": str(args or "")}}
    return call if index is None else {"index": index, **call}


def responses_to_chat_response(resp: dict, model: str) -> tuple[dict, Usage | None, str]:
    """(chat completion, usage, completion text) for a whole Response object."""
    text: list[str] = []
    reasoning: list[str] = []
    refusal: list[str] = []
    calls: list[dict] = []
    for item in resp.get("output") or ():
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or ():
                if isinstance(part, dict) and part.get("type") == "output_text":
                    text.append(str(part.get("text") or ""))
                elif isinstance(part, dict) and part.get("type") == "refusal":
                    refusal.append(str(part.get("refusal") or ""))
        elif kind == "reasoning":
            for part in (item.get("summary") or []) + (item.get("content") or []):
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    reasoning.append(part["text"])
        elif kind in ("function_call", "custom_tool_call"):
            calls.append(_call(item))
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or (None if calls else ""),
                               "refusal": "".join(refusal) or None}
    if reasoning:
        message["reasoning_content"] = "\n".join(reasoning)
    if calls:
        message["tool_calls"] = calls
    created = resp.get("created_at")
    body: dict[str, Any] = {
        "id": "chatcmpl-" + str(resp.get("id") or f"{time.time_ns():x}").removeprefix("resp_"),
        "object": "chat.completion",
        "created": int(created) if isinstance(created, int | float) else int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": finish_reason(resp, bool(calls))}],
    }
    usage_obj = chat_usage(resp.get("usage"))
    if usage_obj is not None:
        body["usage"] = usage_obj
    counted = "".join(text) + "".join(reasoning) + "".join(c["function"]["name"] + c["function"]["arguments"]
                                                            for c in calls)
    return body, responses_usage(resp.get("usage")), counted


class ResponsesToChatStream:
    """Responses stream events in, chat chunks out. `complete` at response.completed / .incomplete;
    `error` holds the error object of an `error` / `response.failed` event."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = f"chatcmpl-{time.time_ns():x}"
        self.created = int(time.time())
        self.usage: Usage | None = None
        self.raw_usage: dict | None = None
        self.error: dict | None = None
        self.complete = False
        self._calls: dict[str, int] = {}  # item id -> tool call index
        self._role_sent = False

    def chunk(self, delta: dict, finish: str | None = None) -> dict:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    def _role(self) -> list[dict]:
        if self._role_sent:
            return []
        self._role_sent = True
        return [self.chunk({"role": "assistant", "content": ""})]

    def feed(self, event: dict) -> list[dict]:
        kind = event.get("type")
        if kind in ("response.created", "response.in_progress"):
            resp = object_at(event, "response")
            if resp.get("id"):
                self.id = "chatcmpl-" + str(resp["id"]).removeprefix("resp_")
            if isinstance(resp.get("created_at"), int | float):
                self.created = int(resp["created_at"])
            return self._role()
        if kind == "response.output_text.delta" or kind == "response.refusal.delta":
            return [*self._role(), self.chunk({"content": str(event.get("delta") or "")})]
        if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
            return [*self._role(), self.chunk({"reasoning_content": str(event.get("delta") or "")})]
        if kind == "response.output_item.added":
            item = object_at(event, "item")
            if item.get("type") in ("function_call", "custom_tool_call"):
                index = self._calls[str(item.get("id"))] = len(self._calls)
                call = _call({**item, "arguments": "", "input": ""}, index)
                return [*self._role(), self.chunk({"tool_calls": [call]})]
            return []
        if kind in ("response.function_call_arguments.delta", "response.custom_tool_call_input.delta"):
            at = self._calls.get(str(event.get("item_id")))
            if at is None:
                return []
            delta = {"index": at, "function": {"arguments": str(event.get("delta") or "")}}
            return [self.chunk({"tool_calls": [delta]})]
        if kind in ("response.completed", "response.incomplete"):
            self.complete = True
            resp = object_at(event, "response")
            self.raw_usage = chat_usage(resp.get("usage"))
            self.usage = responses_usage(resp.get("usage"))
            out = [*self._role(), self.chunk({}, finish_reason(resp, bool(self._calls)))]
            if self.raw_usage is not None:  # a usage-only chunk, as OpenAI sends with include_usage
                out.append({**self.chunk({}), "choices": [], "usage": self.raw_usage})
            return out
        if kind in ("error", "response.failed"):
            resp = object_at(event, "response")
            err = resp.get("error") if kind == "response.failed" else (event.get("error") or event)
            self.error = err if isinstance(err, dict) else {"message": str(err)}
        return []
