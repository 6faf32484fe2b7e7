"""Stream converters: upstream SSE events in, client-format SSE frames out, usage collected.

Pass-through streams forward the upstream's own bytes where nothing must change (the common,
fast case: one JSON parse per event to read usage and text, no re-encoding).
"""

from __future__ import annotations

from typing import Any

import orjson

from backend.models.usage import Usage
from backend.relay.adaptors.base import RelayMeta, StreamConverter, UpstreamError
from backend.relay.convert.claude_openai import ClaudeToOpenAIStream
from backend.relay.convert.openai_claude import OpenAIToClaudeStream
from backend.relay.convert.usage import claude_usage, openai_usage, openai_usage_dict, responses_usage
from backend.relay.error_shapes import claude_error, google_error
from backend.relay.sse import DONE_FRAME, SSEEvent, data_frame, event_frame

THINK_OPEN = "<think>\n"
THINK_CLOSE = "\n</think>\n"


def load_json(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None  # a malformed event is skipped, as new-api does, rather than killing the stream


def claude_error_frame(error: dict[str, Any], status: int) -> bytes:
    """A failed stream's last frame for a Claude-format client (Anthropic's type for the status)."""
    kind = error.get("type")
    return event_frame("error", claude_error(str(error.get("message") or ""), status,
                                             kind if isinstance(kind, str) else None))


def gemini_error_frame(error: dict[str, Any], status: int) -> bytes:
    """A failed stream's last frame for a native Gemini client (Google's status name)."""
    return data_frame(google_error(str(error.get("message") or ""), status))


def stream_error(err: Any, fallback_type: str = "upstream_error") -> UpstreamError:
    if isinstance(err, dict):
        given = err.get("message")
        message = given if isinstance(given, str) else "upstream stream error"
        return UpstreamError(
            500, message, type=err.get("type") or fallback_type, code=err.get("code"), passthrough=err
        )
    return UpstreamError(500, str(err) if err else "upstream stream error", type=fallback_type)


class OpenAIChunkReader(StreamConverter):
    """Reads usage, text and finish reasons from OpenAI chat / completion chunks.

    An OpenAI-format upstream ends with [DONE] (the parser sees it); a finish reason counts as
    its end too, since several OpenAI-compatible servers close after it without [DONE]. Readers
    of converted chunks (Claude, Gemini upstreams) set `FINISH_ENDS_STREAM` off and watch their
    upstream's own marker instead.
    """

    FINISH_ENDS_STREAM = True

    def _read_chunk(self, chunk: dict) -> None:
        usage = openai_usage(chunk.get("usage"))
        if usage is not None:
            self.usage = usage
        if chunk.get("error") and not chunk.get("choices"):
            self.error = stream_error(chunk["error"])
        for choice in chunk.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            if choice.get("finish_reason"):
                self.finish_reason = choice["finish_reason"]
                self.complete = self.complete or self.FINISH_ENDS_STREAM
            text = choice.get("text")  # completions
            if isinstance(text, str):
                self._text.append(text)
            delta = choice.get("delta")
            if not isinstance(delta, dict):
                continue
            # some servers send the same reasoning as both fields: count it once
            for value in (delta.get("content"), delta.get("reasoning_content") or delta.get("reasoning")):
                if isinstance(value, str):
                    self._text.append(value)
            calls = delta.get("tool_calls")
            if isinstance(calls, list) and calls:
                self._count_tool_calls(len(calls))
                for call in calls:
                    fn = call.get("function") if isinstance(call, dict) else None
                    if isinstance(fn, dict):
                        self._text.append((fn.get("name") or "") + (fn.get("arguments") or ""))


class OpenAIStream(OpenAIChunkReader):
    """OpenAI-format client, OpenAI-format upstream (chat or completions).

    Usage is forced upstream, so a usage-only chunk is dropped unless the client asked for it;
    a client that asked but got none receives a made-up usage chunk before [DONE].
    """

    def __init__(self, meta: RelayMeta, thinking_to_content: bool = False) -> None:
        super().__init__(meta)
        self.thinking_to_content = thinking_to_content
        self._think = 0  # 0 no reasoning yet, 1 <think> open, 2 closed
        self._usage_sent = False
        self._last: dict[str, Any] = {}

    def feed(self, event: SSEEvent) -> list[bytes]:
        chunk = load_json(event.data)
        if not isinstance(chunk, dict):
            return []
        return self._emit(chunk, event.data)

    def _emit(self, chunk: dict, raw: bytes | None) -> list[bytes]:
        self._read_chunk(chunk)
        if self.error is not None:
            return []  # the pipeline ends the stream with its own (redacted) error frame
        for name in ("id", "created", "model", "object", "system_fingerprint"):
            if chunk.get(name) is not None:
                self._last[name] = chunk[name]
        has_usage = isinstance(chunk.get("usage"), dict)
        if has_usage and not chunk.get("choices"):
            if not self.meta.include_usage:
                return []
            self._usage_sent = True
        elif has_usage and self.meta.include_usage:
            self._usage_sent = True
        if self.thinking_to_content and self._rewrite_thinking(chunk):
            raw = None
        return [data_frame(chunk) if raw is None else b"data: " + raw + b"\n\n"]

    def _rewrite_thinking(self, chunk: dict) -> bool:
        """Reasoning goes into content, wrapped in <think>...</think> (channel setting)."""
        changed = False
        for choice in chunk.get("choices") or ():
            delta = choice.get("delta") if isinstance(choice, dict) else None
            if not isinstance(delta, dict):
                continue
            had = "reasoning_content" in delta or "reasoning" in delta
            r1, r2 = delta.pop("reasoning_content", None), delta.pop("reasoning", None)
            reasoning = r1 or r2
            content = delta.get("content")
            out = ""
            if isinstance(reasoning, str) and reasoning:
                out = (THINK_OPEN if self._think == 0 else "") + reasoning
                self._think = 1
            if isinstance(content, str) and content:
                if self._think == 1:
                    out += THINK_CLOSE
                    self._think = 2
                out += content
            if out or had:
                delta["content"] = out
                changed = True
        return changed

    def finish(self, usage: Usage) -> list[bytes]:
        frames: list[bytes] = []
        if self.meta.include_usage and not self._usage_sent:
            frames.append(
                data_frame(
                    {
                        "id": self._last.get("id", ""),
                        "object": self._last.get("object", "chat.completion.chunk"),
                        "created": self._last.get("created", 0),
                        "model": self._last.get("model", self.meta.upstream_model),
                        "choices": [],
                        "usage": openai_usage_dict(usage),
                    }
                )
            )
        frames.append(DONE_FRAME)
        return frames


class ClaudeToOpenAIStreamConverter(OpenAIStream):
    """OpenAI-format client, Claude upstream (complete at message_stop)."""

    FINISH_ENDS_STREAM = False

    def __init__(self, meta: RelayMeta, thinking_to_content: bool = False) -> None:
        super().__init__(meta, thinking_to_content)
        self.conv = ClaudeToOpenAIStream()

    def feed(self, event: SSEEvent) -> list[bytes]:
        obj = load_json(event.data)
        if not isinstance(obj, dict):
            return []
        obj.setdefault("type", event.event)
        frames: list[bytes] = []
        for chunk in self.conv.feed(obj):
            frames += self._emit(chunk, None)
        self.usage = self.conv.usage
        if obj.get("type") == "message_stop":
            self.complete = True
        if obj.get("type") == "error" and self.conv.error is not None:
            self.error = stream_error(self.conv.error, "api_error")
        return frames


class ClaudePassStream(StreamConverter):
    """Claude client, Claude upstream: frames rebuilt from each event's JSON `type`."""

    def __init__(self, meta: RelayMeta) -> None:
        super().__init__(meta)
        self._usage_raw: dict[str, Any] = {}
        self._tools = 0

    def feed(self, event: SSEEvent) -> list[bytes]:
        obj = load_json(event.data)
        if not isinstance(obj, dict):
            return []
        kind = obj.get("type") or event.event or "message"
        if kind == "message_start":
            self._usage_raw.update((obj.get("message") or {}).get("usage") or {})
        elif kind == "message_delta":
            self._usage_raw.update({k: v for k, v in (obj.get("usage") or {}).items() if v is not None})
            self.finish_reason = (obj.get("delta") or {}).get("stop_reason")
        elif kind == "content_block_start":
            block = obj.get("content_block") or {}
            if block.get("type") == "tool_use":
                self._tools += 1
                self._count_tool_calls(1)
                self._text.append(block.get("name") or "")
        elif kind == "content_block_delta":
            delta = obj.get("delta") or {}
            self._text.append(delta.get("text") or delta.get("thinking") or delta.get("partial_json") or "")
        elif kind == "message_stop":
            self.complete = True
        elif kind == "error":
            self.error = stream_error(obj.get("error"), "api_error")
            return []  # the pipeline writes the (redacted) error event
        self.usage = claude_usage(self._usage_raw)
        return [b"event: " + kind.encode() + b"\ndata: " + event.data + b"\n\n"]

    def finish(self, usage: Usage) -> list[bytes]:
        return []  # the upstream already sent message_stop

    error_frame = staticmethod(claude_error_frame)


class OpenAIToClaudeStreamConverter(OpenAIChunkReader):
    """Claude client (/v1/messages), OpenAI-format upstream."""

    def __init__(self, meta: RelayMeta) -> None:
        super().__init__(meta)
        self.conv = OpenAIToClaudeStream(meta.origin_model, meta.prompt_tokens)

    def feed(self, event: SSEEvent) -> list[bytes]:
        chunk = load_json(event.data)
        if not isinstance(chunk, dict):
            return []
        self._read_chunk(chunk)
        if self.error is not None:
            return []  # the pipeline writes the (redacted) error event
        return [event_frame(kind, payload) for kind, payload in self.conv.feed(chunk)]

    def finish(self, usage: Usage) -> list[bytes]:
        return [event_frame(kind, payload) for kind, payload in self.conv.finish(usage)]

    error_frame = staticmethod(claude_error_frame)


class ResponsesPassStream(StreamConverter):
    """/v1/responses pass-through: named events, usage in response.completed (no [DONE])."""

    def feed(self, event: SSEEvent) -> list[bytes]:
        obj = load_json(event.data)
        if not isinstance(obj, dict):
            return []
        kind = obj.get("type") or event.event or "message"
        if kind in ("response.completed", "response.incomplete", "response.failed"):
            self.complete = True
            usage = responses_usage((obj.get("response") or {}).get("usage"))
            if usage is not None:
                self.usage = usage
        elif kind.endswith(".delta") and isinstance(obj.get("delta"), str):
            self._text.append(obj["delta"])
        elif kind == "error":
            self.error = stream_error(obj.get("error") or obj)
            return []  # the pipeline writes the (redacted) error event
        return [b"event: " + kind.encode() + b"\ndata: " + event.data + b"\n\n"]

    def finish(self, usage: Usage) -> list[bytes]:
        return []

    def error_frame(self, error: dict[str, Any], status: int) -> bytes:
        return event_frame("error", {"type": "error", "code": error.get("code"), "message": error.get("message"),
                                     "param": error.get("param") or None})
