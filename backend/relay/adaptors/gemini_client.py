"""Native Gemini clients (/v1beta/models/{m}:generateContent) on OpenAI-format and Claude channels:
the stream converters that turn those upstreams' events into Gemini chunks."""

from __future__ import annotations

from backend.models.usage import Usage
from backend.relay.adaptors.base import RelayMeta, StreamConverter
from backend.relay.adaptors.streams import OpenAIChunkReader, gemini_error_frame, load_json, stream_error
from backend.relay.convert.claude_openai import ClaudeToOpenAIStream
from backend.relay.convert.openai_gemini import OpenAIToGeminiStream
from backend.relay.sse import SSEEvent, data_frame


def _closing(conv: OpenAIToGeminiStream, usage: Usage) -> list[bytes]:
    return [
        data_frame(c)
        for c in conv.finish(usage.total_prompt_tokens, usage.completion_tokens, usage.cached_tokens)
    ]


class OpenAIToGeminiStreamConverter(OpenAIChunkReader):
    """Gemini client, OpenAI-format upstream. Gemini streams end without [DONE]."""

    def __init__(self, meta: RelayMeta) -> None:
        super().__init__(meta)
        self.conv = OpenAIToGeminiStream(meta.origin_model)

    def feed(self, event: SSEEvent) -> list[bytes]:
        chunk = load_json(event.data)
        if not isinstance(chunk, dict):
            return []
        self._read_chunk(chunk)
        if self.error is not None:
            return []  # the pipeline writes the (redacted) error frame
        return [data_frame(c) for c in self.conv.feed(chunk)]

    def finish(self, usage: Usage) -> list[bytes]:
        return _closing(self.conv, usage)

    error_frame = staticmethod(gemini_error_frame)


class ClaudeToGeminiStreamConverter(StreamConverter):
    """Gemini client, Claude upstream: Claude events -> OpenAI chunks -> Gemini chunks."""

    def __init__(self, meta: RelayMeta) -> None:
        super().__init__(meta)
        self.to_openai = ClaudeToOpenAIStream()
        self.to_gemini = OpenAIToGeminiStream(meta.origin_model)

    def feed(self, event: SSEEvent) -> list[bytes]:
        obj = load_json(event.data)
        if not isinstance(obj, dict):
            return []
        obj.setdefault("type", event.event)
        frames: list[bytes] = []
        for chunk in self.to_openai.feed(obj):
            delta = chunk["choices"][0]["delta"]
            self._text.append((delta.get("content") or "") + (delta.get("reasoning_content") or ""))
            for call in delta.get("tool_calls") or ():
                fn = call.get("function") or {}
                self._text.append((fn.get("name") or "") + (fn.get("arguments") or ""))
            frames += [data_frame(c) for c in self.to_gemini.feed(chunk)]
        self.usage = self.to_openai.usage
        if obj.get("type") == "message_stop":
            self.complete = True
        if obj.get("type") == "error" and self.to_openai.error is not None:
            self.error = stream_error(self.to_openai.error, "api_error")  # the pipeline writes the frame
        return frames

    def finish(self, usage: Usage) -> list[bytes]:
        return _closing(self.to_gemini, usage)

    error_frame = staticmethod(gemini_error_frame)
