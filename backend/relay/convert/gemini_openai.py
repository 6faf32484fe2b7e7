"""Gemini generateContent / batchEmbedContents replies -> OpenAI chat completions, chunks and
embeddings (reference §9 "Gemini -> OpenAI")."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from backend.models.usage import Usage


def gemini_usage(meta: Any) -> Usage | None:
    """prompt = prompt + tool-use prompt tokens; completion = candidates + thoughts (both billed
    as output); cached = cachedContentTokenCount (included in the prompt count)."""
    if not isinstance(meta, dict):
        return None

    def num(name: str) -> int:
        value = meta.get(name)
        return value if isinstance(value, int) and value > 0 else 0

    prompt = num("promptTokenCount") + num("toolUsePromptTokenCount")
    completion = num("candidatesTokenCount") + num("thoughtsTokenCount")
    if prompt == 0 and completion == 0:
        return None
    return Usage(prompt, completion, min(num("cachedContentTokenCount"), prompt), 0, "openai")


def finish_reason(reason: str | None, called_tools: bool) -> str | None:
    if called_tools:
        return "tool_calls"
    if reason is None or reason == "FINISH_REASON_UNSPECIFIED":
        return None
    if reason == "STOP":
        return "stop"
    if reason == "MAX_TOKENS":
        return "length"
    return "content_filter"


def no_candidates_status(resp: dict) -> tuple[int, str]:
    """A reply without candidates: 400 when the prompt was blocked, else 500."""
    feedback = resp.get("promptFeedback") or {}
    if feedback.get("blockReason"):
        return 400, f"the prompt was blocked by Gemini: {feedback['blockReason']}"
    return 500, "Gemini returned no candidates"


def _call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


def parts_to_delta(parts: list[Any], tool_index: int = 0) -> tuple[dict, int]:
    """(OpenAI message/delta fields, number of tool calls) for one candidate's parts."""
    text: list[str] = []
    thoughts: list[str] = []
    calls: list[dict] = []
    for part in parts:
        if not isinstance(part, dict):
            continue
        if "functionCall" in part:
            fn = part["functionCall"] or {}
            calls.append(
                {
                    "index": tool_index + len(calls),
                    "id": fn.get("id") or _call_id(),
                    "type": "function",
                    "function": {
                        "name": fn.get("name") or "",
                        "arguments": orjson.dumps(fn.get("args") or {}).decode(),
                    },
                }
            )
        elif "executableCode" in part:
            code = part["executableCode"] or {}
            text.append(f"```{(code.get('language') or 'python').lower()}\n{code.get('code', '')}\n```\n")
        elif "codeExecutionResult" in part:
            text.append(f"```output\n{(part['codeExecutionResult'] or {}).get('output', '')}\n```\n")
        elif "inlineData" in part:
            data = part["inlineData"] or {}
            text.append(f"![image](data:{data.get('mimeType', 'image/png')};base64,{data.get('data', '')})")
        elif isinstance(part.get("text"), str):
            (thoughts if part.get("thought") is True else text).append(part["text"])
    delta: dict[str, Any] = {}
    if text or not (thoughts or calls):
        delta["content"] = "".join(text)
    if thoughts:
        delta["reasoning_content"] = "".join(thoughts)
    if calls:
        delta["tool_calls"] = calls
    return delta, len(calls)


def gemini_to_openai_response(resp: dict, model: str) -> tuple[dict, Usage | None, str]:
    """(chat completion, usage, completion text); callers check for candidates first."""
    choices = []
    text = ""
    for i, cand in enumerate(resp.get("candidates") or []):
        delta, n_calls = parts_to_delta(((cand.get("content") or {}).get("parts")) or [])
        message: dict[str, Any] = {
            "role": "assistant",
            "content": delta.get("content") if "content" in delta else None,
        }
        if "reasoning_content" in delta:
            message["reasoning_content"] = delta["reasoning_content"]
        if n_calls:
            message["tool_calls"] = [
                {k: v for k, v in c.items() if k != "index"} for c in delta["tool_calls"]
            ]
            text += "".join(c["function"]["name"] + c["function"]["arguments"] for c in delta["tool_calls"])
        text += (message["content"] or "") + message.get("reasoning_content", "")
        choices.append(
            {
                "index": cand.get("index", i),
                "message": message,
                "finish_reason": finish_reason(cand.get("finishReason"), bool(n_calls)) or "stop",
            }
        )
    usage = gemini_usage(resp.get("usageMetadata"))
    body: dict[str, Any] = {
        "id": "chatcmpl-" + (resp.get("responseId") or uuid.uuid4().hex),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": resp.get("modelVersion") or model,
        "choices": choices,
    }
    if usage is not None:
        prompt, completion = usage.prompt_tokens, usage.completion_tokens
        body["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        if usage.cached_tokens:
            body["usage"]["prompt_tokens_details"] = {"cached_tokens": usage.cached_tokens}
    return body, usage, text


class GeminiToOpenAIStream:
    """Gemini stream chunks (each a GenerateContentResponse) -> OpenAI chat chunks."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.id = "chatcmpl-" + uuid.uuid4().hex
        self.created = int(time.time())
        self.started = False
        self.tool_calls = 0
        self.usage: Usage | None = None
        self.finish_reason: str | None = None

    def chunk(self, delta: dict, finish: str | None = None) -> dict:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def feed(self, resp: dict) -> list[dict]:
        usage = gemini_usage(resp.get("usageMetadata"))
        if usage is not None:
            self.usage = usage  # cumulative: the last one counts
        out: list[dict] = []
        if not self.started:
            self.started = True
            out.append(self.chunk({"role": "assistant", "content": ""}))
        for cand in (resp.get("candidates") or [])[:1]:
            delta, n_calls = parts_to_delta(((cand.get("content") or {}).get("parts")) or [], self.tool_calls)
            self.tool_calls += n_calls
            reason = finish_reason(
                cand.get("finishReason"), self.tool_calls > 0 and cand.get("finishReason") is not None
            )
            if reason:
                self.finish_reason = reason
            if delta.get("content") or delta.get("reasoning_content") or delta.get("tool_calls"):
                out.append(self.chunk(delta))
        return out

    def closing(self) -> dict:
        """The gateway-made final chunk carrying the finish reason."""
        return self.chunk({}, self.finish_reason or "stop")


def gemini_embeddings_to_openai(resp: dict, model: str) -> dict:
    vectors = [e.get("values") or [] for e in resp.get("embeddings") or [] if isinstance(e, dict)]
    if not vectors and isinstance(resp.get("embedding"), dict):  # :embedContent
        vectors = [resp["embedding"].get("values") or []]
    return {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
        "model": model,
        "usage": {"prompt_tokens": 0, "total_tokens": 0},
    }


# -- request: a native Gemini body for an OpenAI-format channel ----------------------------------


# Values that are the caller's own data (function arguments and results, JSON schemas, whose
# property names are theirs): key spellings inside them are never touched.
_OPAQUE_KEYS = frozenset({"args", "response", "parameters", "parametersJsonSchema", "responseSchema",
                          "responseJsonSchema", "schema"})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


def camel_keys(value: Any) -> Any:
    """A Gemini body with protobuf's snake_case field names in camelCase: the API accepts both, and
    google-genai sends some of each (`inlineData.mime_type`, `parameters_json_schema`,
    `thinkingConfig.include_thoughts`). The caller's own data is left as it is (`_OPAQUE_KEYS`)."""
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        name = _camel(key) if isinstance(key, str) and "_" in key.strip("_") else key
        out[name] = item if name in _OPAQUE_KEYS else camel_keys(item)
    return out


def _data_url(blob: dict) -> str:
    # Google takes URL-safe base64 too (google-genai sends it); data URLs take the standard alphabet
    data = str(blob.get("data", "")).replace("-", "+").replace("_", "/")
    return f"data:{blob.get('mimeType') or 'application/octet-stream'};base64,{data}"


def _user_part(part: dict) -> dict | None:
    if isinstance(part.get("text"), str):
        return {"type": "text", "text": part["text"]}
    blob = part.get("inlineData")
    if isinstance(blob, dict):
        mime = blob.get("mimeType") or ""
        if mime.startswith("audio/"):
            return {
                "type": "input_audio",
                "input_audio": {"data": blob.get("data", ""), "format": mime[6:] or "wav"},
            }
        if mime.startswith("image/"):
            return {"type": "image_url", "image_url": {"url": _data_url(blob)}}
        return {"type": "file", "file": {"filename": "file", "file_data": _data_url(blob)}}
    ref = part.get("fileData")
    if isinstance(ref, dict) and ref.get("fileUri"):
        return {"type": "image_url", "image_url": {"url": ref["fileUri"]}}
    return None


def _openai_schema(schema: Any) -> Any:
    """Gemini schemas use upper-case OpenAPI type names; JSON Schema wants lower case."""
    if isinstance(schema, list):
        return [_openai_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, str):
            out[key] = value.lower()
        elif key in ("properties",) and isinstance(value, dict):
            out[key] = {k: _openai_schema(v) for k, v in value.items()}
        elif key in ("items", "anyOf"):
            out[key] = _openai_schema(value)
        else:
            out[key] = value
    return out


def gemini_to_openai_request(req: dict, model: str, stream: bool) -> dict:
    """An OpenAI chat body for a generateContent body. Gemini calls carry no ids, so each
    functionCall gets one and the next functionResponse of the same name answers it."""
    req = camel_keys(req)
    messages: list[dict] = []
    system = "\n".join(
        p.get("text", "")
        for p in (req.get("systemInstruction") or {}).get("parts") or []
        if isinstance(p, dict)
    )
    if system:
        messages.append({"role": "system", "content": system})
    pending: dict[str, list[str]] = {}  # function name -> call ids awaiting a response
    counter = 0
    for content in req.get("contents") or []:
        if not isinstance(content, dict):
            continue
        parts = [p for p in content.get("parts") or [] if isinstance(p, dict)]
        if content.get("role") == "model":
            texts = [p["text"] for p in parts if isinstance(p.get("text"), str) and not p.get("thought")]
            calls = []
            for p in parts:
                fn = p.get("functionCall")
                if isinstance(fn, dict):
                    counter += 1
                    call_id = fn.get("id") or f"call_{counter}"
                    pending.setdefault(fn.get("name") or "", []).append(call_id)
                    args = orjson.dumps(fn.get("args") or {}).decode()
                    calls.append(
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {"name": fn.get("name") or "", "arguments": args},
                        }
                    )
            msg: dict[str, Any] = {
                "role": "assistant",
                "content": "".join(texts) if texts or not calls else None,
            }
            if calls:
                msg["tool_calls"] = calls
            messages.append(msg)
            continue
        user_parts = []
        for p in parts:
            fr = p.get("functionResponse")
            if isinstance(fr, dict):
                name = fr.get("name") or ""
                queue = pending.get(name) or []
                call_id = fr.get("id") or (queue.pop(0) if queue else f"call_{name}")
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": call_id,
                        "content": orjson.dumps(fr.get("response") or {}).decode(),
                    }
                )
                continue
            converted = _user_part(p)
            if converted:
                user_parts.append(converted)
        if user_parts:
            if all(p["type"] == "text" for p in user_parts):
                messages.append({"role": "user", "content": "".join(p["text"] for p in user_parts)})
            else:
                messages.append({"role": "user", "content": user_parts})
    out: dict[str, Any] = {"model": model, "messages": messages}
    if stream:
        out["stream"] = True
    config = req.get("generationConfig") or {}
    for src, dst in (("temperature", "temperature"), ("topP", "top_p"), ("seed", "seed"),
                     ("maxOutputTokens", "max_tokens"), ("candidateCount", "n"),
                     ("presencePenalty", "presence_penalty"), ("frequencyPenalty", "frequency_penalty")):  # fmt: skip
        if isinstance(config.get(src), int | float) and not isinstance(config.get(src), bool):
            out[dst] = config[src]
    if config.get("stopSequences"):
        out["stop"] = config["stopSequences"]
    if config.get("responseMimeType") == "application/json":
        schema = config.get("responseJsonSchema") or config.get("responseSchema")
        if isinstance(schema, dict):
            out["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "response", "schema": _openai_schema(schema)},
            }
        else:
            out["response_format"] = {"type": "json_object"}
    tools = []
    for tool in req.get("tools") or []:
        for decl in (tool or {}).get("functionDeclarations") or []:
            function: dict[str, Any] = {"name": decl.get("name") or ""}
            if decl.get("description"):
                function["description"] = decl["description"]
            params = decl.get("parametersJsonSchema") or decl.get("parameters")
            function["parameters"] = _openai_schema(params) if params else {"type": "object", "properties": {}}
            tools.append({"type": "function", "function": function})
    if tools:
        out["tools"] = tools
        calling = (req.get("toolConfig") or {}).get("functionCallingConfig") or {}
        mode, allowed = calling.get("mode"), calling.get("allowedFunctionNames") or []
        if mode == "ANY" and len(allowed) == 1:
            out["tool_choice"] = {"type": "function", "function": {"name": allowed[0]}}
        elif mode in ("AUTO", "NONE", "ANY"):
            out["tool_choice"] = {"AUTO": "auto", "NONE": "none", "ANY": "required"}[mode]
    return out
