"""Gemini generateContent / batchEmbedContents replies -> OpenAI chat completions, chunks and
embeddings (reference §9 "Gemini -> OpenAI")."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from backend.relay.usage import Usage


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
