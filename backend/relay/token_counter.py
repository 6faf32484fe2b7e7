"""Local token counts: the prompt estimate before a call, and the completion when upstream gives none.

new-api's rules: o200k_base for the gpt-4o / o-series / gpt-4.1 / gpt-5 families, cl100k_base for
everything else; a chat message costs 3 + role + text (+1 + name), the reply primer 3; images by
tiles; tools by name + description + schema. Encoders load once, on first use, from the
`bpe_openai` wheel (no download); the module itself is imported then too, because its tables cost
a worker 66-180 MB and most calls never need them (upstream reports usage). `CountToken=false`
turns local counting off (every count is 0).
"""

from __future__ import annotations

import base64
import math
import struct
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from backend.config import get_settings
from backend.relay.convert.gemini_openai import gemini_to_openai_request

_O200K_PREFIXES = ("gpt-4o", "chatgpt-4o", "o1", "o3", "o4", "gpt-4.1", "gpt-5")
_CHUNK = 32_000  # characters per encode call: bpe_openai refuses > 200k tokens in one call

_encoders: dict[str, Any] = {}
_enc_lock = threading.Lock()

LOW_DETAIL_IMAGE = 85
FIXED_IMAGE = 255  # Claude/Gemini/Vertex channels or GET_MEDIA_TOKEN=false
CLAUDE_IMAGE = 1000
AUDIO_INPUT = 100
FILE_INPUT = 5000
# A remote image is not fetched just to count it; assume 1024x1024 (4 tiles) for it.
_REMOTE_IMAGE_SIZE = (1024, 1024)


def counting_enabled() -> bool:
    return get_settings().COUNT_TOKEN


def encoding_name(model: str) -> str:
    return "o200k_base" if model.startswith(_O200K_PREFIXES) else "cl100k_base"


def _encoder(name: str) -> Any:
    enc = _encoders.get(name)
    if enc is None:
        with _enc_lock:
            enc = _encoders.get(name)
            if enc is None:
                import bpe_openai  # noqa: PLC0415 - see the module docstring

                enc = _encoders[name] = bpe_openai.get_encoding(name)
    return enc


def _chunks(text: str) -> Iterable[str]:
    start = 0
    while start < len(text):
        end = start + _CHUNK
        if end < len(text):  # cut at a space so no word is split across two calls
            cut = text.rfind(" ", start + _CHUNK // 2, end)
            end = cut if cut > start else end
        yield text[start:end]
        start = end


def count_text(model: str, text: str) -> int:
    """Tokens of plain text; special-token look-alikes count as ordinary text."""
    if not text:
        return 0
    enc = _encoder(encoding_name(model))
    if len(text) <= _CHUNK:
        return len(enc.encode_ordinary(text))
    return sum(len(enc.encode_ordinary(part)) for part in _chunks(text))


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode() if value is not None else ""


# ---- images -----------------------------------------------------------------------------------

def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, GIF, JPEG or WebP header; None when unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        kind = data[12:16]
        if kind == b"VP8 ":
            w, h = struct.unpack("<HH", data[26:30])
            return w & 0x3FFF, h & 0x3FFF
        if kind == b"VP8L":
            b = data[21:25]
            return 1 + (((b[1] & 0x3F) << 8) | b[0]), 1 + (((b[3] & 0xF) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
        if kind == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        return None
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 <= len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                i += 1 if marker == 0xFF else 2
                continue
            length = struct.unpack(">H", data[i + 2:i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return w, h
            i += 2 + length
    return None


def _data_url_size(url: str) -> tuple[int, int] | None:
    if not url.startswith("data:"):
        return None
    _, _, payload = url.partition(",")
    head = payload[:65536]  # the header sits near the start; decode a bounded prefix only
    head = head[: len(head) - len(head) % 4]
    try:
        return image_size(base64.b64decode(head, validate=False))
    except ValueError:
        return None


def image_tokens(model: str, width: int, height: int, detail: str = "auto") -> int:
    """OpenAI's tile rule: fit in 2048x2048, shortest side to 768, 170 per 512-px tile + 85."""
    if detail == "low":
        return LOW_DETAIL_IMAGE
    w, h = float(width), float(height)
    if w <= 0 or h <= 0:
        return LOW_DETAIL_IMAGE
    if max(w, h) > 2048:
        scale = 2048 / max(w, h)
        w, h = w * scale, h * scale
    if min(w, h) > 768:
        scale = 768 / min(w, h)
        w, h = w * scale, h * scale
    tiles = math.ceil(w / 512) * math.ceil(h / 512)
    if model.startswith("gpt-4o-mini"):
        return tiles * 5667 + 2833
    return tiles * 170 + 85


def _image_part_tokens(model: str, part: Mapping[str, Any], fixed_image_tokens: int | None) -> int:
    raw = part.get("image_url")
    url, detail = (raw.get("url", ""), raw.get("detail") or "auto") if isinstance(raw, Mapping) else (raw or "", "auto")
    if detail == "low":
        return LOW_DETAIL_IMAGE
    if fixed_image_tokens is not None or not get_settings().GET_MEDIA_TOKEN:
        return FIXED_IMAGE if fixed_image_tokens is None else fixed_image_tokens
    size = _data_url_size(str(url)) or _REMOTE_IMAGE_SIZE
    return image_tokens(model, size[0], size[1], detail)


# ---- OpenAI chat -----------------------------------------------------------------------------

def _content_tokens(model: str, content: Any, fixed_image_tokens: int | None) -> int:
    if content is None:
        return 0
    if isinstance(content, str):
        return count_text(model, content)
    if not isinstance(content, list):
        return count_text(model, _json_text(content))
    total = 0
    for part in content:
        if isinstance(part, str):
            total += count_text(model, part)
            continue
        if not isinstance(part, Mapping):
            continue
        kind = part.get("type")
        if kind in ("text", "input_text", "output_text", "refusal"):
            total += count_text(model, str(part.get(kind if kind == "refusal" else "text") or ""))
        elif kind in ("image_url", "input_image"):
            total += _image_part_tokens(model, part, fixed_image_tokens)
        elif kind == "input_audio":
            total += AUDIO_INPUT
        elif kind in ("file", "input_file"):
            total += FILE_INPUT
    return total


def count_messages(model: str, messages: Iterable[Mapping[str, Any]], *, fixed_image_tokens: int | None = None) -> int:
    """3 per message + role + content (+1 + name) + the assistant's tool calls, plus 3 for the reply.

    `fixed_image_tokens` (e.g. FIXED_IMAGE for Claude/Gemini channels) replaces the tile rule.
    """
    total = 3
    for msg in messages:
        if not isinstance(msg, Mapping):
            continue
        total += 3
        total += count_text(model, str(msg.get("role") or ""))
        total += _content_tokens(model, msg.get("content"), fixed_image_tokens)
        name = msg.get("name")
        if name:
            total += 1 + count_text(model, str(name))
        for call in msg.get("tool_calls") or ():
            fn = call.get("function") if isinstance(call, Mapping) else None
            if isinstance(fn, Mapping):
                total += count_text(model, str(fn.get("name") or "")) + count_text(model, _json_text(fn.get("arguments")))
    return total


def count_tools(model: str, tools: Iterable[Mapping[str, Any]] | None) -> int:
    """Every tool (new-api [S] counted only the last): name + description + parameters, +8 each."""
    total = 0
    for tool in tools or ():
        if not isinstance(tool, Mapping):
            continue
        nested = tool.get("function")
        fn = nested if isinstance(nested, Mapping) else tool
        total += 8
        total += count_text(model, str(fn.get("name") or ""))
        total += count_text(model, str(fn.get("description") or ""))
        if fn.get("parameters") is not None:
            total += count_text(model, _json_text(fn.get("parameters")))
    return total


def count_input(model: str, value: Any) -> int:
    """`prompt` of /v1/completions or `input` of /v1/embeddings: text, texts, or token ids."""
    if isinstance(value, str):
        return count_text(model, value)
    if isinstance(value, list):
        if value and all(isinstance(v, int) for v in value):
            return len(value)  # already token ids
        return sum(count_input(model, v) for v in value)
    return 0


def count_chat_request(model: str, body: Mapping[str, Any], *, fixed_image_tokens: int | None = None) -> int:
    """Prompt estimate of an OpenAI chat body (messages + tools); 0 when CountToken is off."""
    if not counting_enabled():
        return 0
    total = count_messages(model, body.get("messages") or (), fixed_image_tokens=fixed_image_tokens)
    tools = body.get("tools")
    if not tools and body.get("functions"):
        tools = [{"function": f} for f in body["functions"] if isinstance(f, Mapping)]
    return total + count_tools(model, tools)


def count_prompt_input(model: str, value: Any) -> int:
    """count_input honouring CountToken."""
    return count_input(model, value) if counting_enabled() else 0


# ---- Claude messages -------------------------------------------------------------------------

def _claude_block_tokens(model: str, block: Any) -> int:
    if isinstance(block, str):
        return count_text(model, block)
    if not isinstance(block, Mapping):
        return 0
    kind = block.get("type")
    if kind == "text":
        return count_text(model, str(block.get("text") or ""))
    if kind == "thinking":
        return count_text(model, str(block.get("thinking") or ""))
    if kind in ("image", "document"):
        return CLAUDE_IMAGE
    if kind == "tool_use":
        return count_text(model, str(block.get("name") or "")) + count_text(model, _json_text(block.get("input")))
    if kind == "tool_result":
        return count_text(model, _json_text(block.get("content")))
    return 0


def count_claude_request(model: str, body: Mapping[str, Any]) -> int:
    """system + per message (role + blocks + 2) + tools (name + description + schema + 3 each)."""
    if not counting_enabled():
        return 0
    total = 0
    system = body.get("system")
    if isinstance(system, list):
        total += sum(_claude_block_tokens(model, b) for b in system)
    elif system:
        total += count_text(model, str(system))
    for msg in body.get("messages") or ():
        if not isinstance(msg, Mapping):
            continue
        total += 2 + count_text(model, str(msg.get("role") or ""))
        content = msg.get("content")
        if isinstance(content, list):
            total += sum(_claude_block_tokens(model, b) for b in content)
        elif content:
            total += count_text(model, str(content))
    for tool in body.get("tools") or ():
        if isinstance(tool, Mapping):
            total += 3 + count_text(model, str(tool.get("name") or "")) + count_text(model, str(tool.get("description") or ""))
            if tool.get("input_schema") is not None:
                total += count_text(model, _json_text(tool.get("input_schema")))
    return total


# ---- native Gemini ---------------------------------------------------------------------------

def count_gemini_request(model: str, body: Mapping[str, Any]) -> int:
    """A generateContent body counted as the chat body it converts to (system, turns, function
    calls and responses, tools), images at the fixed 255 new-api gives Gemini media."""
    if not counting_enabled():
        return 0
    chat = gemini_to_openai_request(dict(body), model, False)
    return count_chat_request(model, chat, fixed_image_tokens=FIXED_IMAGE)


def _gemini_content_text(content: Any) -> str:
    parts = content.get("parts") if isinstance(content, Mapping) else None
    return "".join(p["text"] for p in parts or () if isinstance(p, Mapping) and isinstance(p.get("text"), str))


def count_gemini_embed_input(model: str, body: Mapping[str, Any]) -> int:
    """The texts of an embedContent (`content`) or batchEmbedContents (`requests[].content`) body."""
    if not counting_enabled():
        return 0
    requests = body.get("requests")
    contents = [r.get("content") for r in requests if isinstance(r, Mapping)] if isinstance(requests, list) else [
        body.get("content")]
    return sum(count_text(model, _gemini_content_text(c)) for c in contents)


# ---- completion fallback ---------------------------------------------------------------------

def count_completion(model: str, content: str = "", reasoning: str = "",
                     tool_calls: Iterable[tuple[str, str]] = (), tool_call_overhead: int = 0) -> int:
    """Completion tokens when upstream reported none: content + reasoning + tool names/arguments,
    plus 7 per tool call in `tool_call_overhead` (the most tool calls seen in one stream chunk)."""
    if not counting_enabled():
        return 0
    total = count_text(model, content) + count_text(model, reasoning)
    for name, arguments in tool_calls:
        total += count_text(model, name) + count_text(model, arguments)
    return total + 7 * tool_call_overhead


@dataclass
class CompletionAccumulator:
    """Collects a stream's text so its completion can be counted if no usage chunk arrives."""

    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    tool_names: list[str] = field(default_factory=list)
    tool_arguments: list[str] = field(default_factory=list)
    max_tool_calls_per_chunk: int = 0

    def add_openai_delta(self, delta: Mapping[str, Any]) -> None:
        """One `choices[i].delta` of an OpenAI chat chunk."""
        if delta.get("content"):
            self.content.append(str(delta["content"]))
        for key in ("reasoning_content", "reasoning"):
            if delta.get(key):
                self.reasoning.append(str(delta[key]))
        calls = delta.get("tool_calls") or ()
        if calls:
            self.max_tool_calls_per_chunk = max(self.max_tool_calls_per_chunk, len(calls))
        for call in calls:
            fn = call.get("function") if isinstance(call, Mapping) else None
            if isinstance(fn, Mapping):
                if fn.get("name"):
                    self.tool_names.append(str(fn["name"]))
                if fn.get("arguments"):
                    self.tool_arguments.append(str(fn["arguments"]))

    def text(self) -> str:
        """Everything the model wrote (content + reasoning), e.g. for RelayResponse.completion_text."""
        return "".join(self.content) + "".join(self.reasoning)

    def count(self, model: str) -> int:
        return count_completion(model, "".join(self.content), "".join(self.reasoning),
                                [("".join(self.tool_names), "".join(self.tool_arguments))],
                                self.max_tool_calls_per_chunk)
