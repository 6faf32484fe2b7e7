"""The gateway's own count of a Realtime session, billed for a `response.done` that carries no usage
(new-api's local usage): the text and audio the client sent since the last billed response, and
what the upstream streamed back for this one.

Audio is measured from its base64 length and the session's audio format (pcm16: 24 kHz 16-bit
mono; G.711: 8 kHz, a byte a sample), at new-api's rates: input seconds / 60 x 100 / 0.06 tokens,
output seconds / 60 x 200 / 0.24. Text (instructions, input_text items, transcript, text and
function-argument deltas) is kept and counted once, when the response is billed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.json_shape import object_at

# bytes of audio a second, by the session's audio format (old and GA spellings)
BYTES_PER_SECOND = {"pcm16": 48000, "audio/pcm": 48000, "g711_ulaw": 8000, "g711_alaw": 8000,
                    "audio/pcmu": 8000, "audio/pcma": 8000}
DEFAULT_FORMAT = "pcm16"
# client events and upstream events that carry something to count (a cheap test before parsing)
CLIENT_MARKERS = ('"session.update"', '"input_audio_buffer.append"', '"conversation.item.create"')
UPSTREAM_MARKERS = ('"session.created"', '"session.updated"', ".delta\"")
TEXT_DELTAS = frozenset({"response.audio_transcript.delta", "response.output_audio_transcript.delta",
                         "response.text.delta", "response.output_text.delta",
                         "response.function_call_arguments.delta"})
AUDIO_DELTAS = frozenset({"response.audio.delta", "response.output_audio.delta"})


def b64_bytes(data: str) -> int:
    """The decoded size of base64 text, without decoding it."""
    size = len(data)
    return max(size * 3 // 4 - data[-2:].count("="), 0) if size else 0


def _seconds(data: Any, fmt: str) -> float:
    return b64_bytes(data) / BYTES_PER_SECOND.get(fmt, 48000) if isinstance(data, str) else 0.0


def input_audio_tokens(seconds: float) -> int:
    return int(max(seconds, 0.0) / 60 * 100 / 0.06)


def output_audio_tokens(seconds: float) -> int:
    return int(max(seconds, 0.0) / 60 * 200 / 0.24)


def _format(session: Any, name: str, current: str) -> str:
    """The session's audio format: `input_audio_format` (beta) or `audio.input.format.type` (GA)."""
    if not isinstance(session, dict):
        return current
    value = session.get(f"{name}_audio_format")
    if isinstance(value, str) and value:
        return value
    audio = object_at(session, "audio")
    side = object_at(audio, name)
    fmt = side.get("format")
    if isinstance(fmt, dict) and isinstance(fmt.get("type"), str):
        return fmt["type"]
    return current


@dataclass
class LocalCount:
    input_format: str = DEFAULT_FORMAT
    output_format: str = DEFAULT_FORMAT
    audio_in: int = 0
    audio_out: int = 0
    text_in: list[str] = field(default_factory=list)
    text_out: list[str] = field(default_factory=list)

    def client_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "session.update":
            session = event.get("session")
            self.input_format = _format(session, "input", self.input_format)
            self.output_format = _format(session, "output", self.output_format)
            if isinstance(session, dict) and isinstance(session.get("instructions"), str):
                self.text_in.append(session["instructions"])
        elif kind == "input_audio_buffer.append":
            self.audio_in += input_audio_tokens(_seconds(event.get("audio"), self.input_format))
        elif kind == "conversation.item.create":
            item = object_at(event, "item")
            for part in item.get("content") or ():
                if isinstance(part, dict) and part.get("type") == "input_text" and isinstance(part.get("text"), str):
                    self.text_in.append(part["text"])

    def upstream_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind in ("session.created", "session.updated"):
            self.input_format = _format(event.get("session"), "input", self.input_format)
            self.output_format = _format(event.get("session"), "output", self.output_format)
        elif kind in AUDIO_DELTAS:
            self.audio_out += output_audio_tokens(_seconds(event.get("delta"), self.output_format))
        elif kind in TEXT_DELTAS and isinstance(event.get("delta"), str):
            self.text_out.append(event["delta"])

    def take(self, count_text: Callable[[str], int]) -> tuple[int, int, int, int]:
        """(text_in, audio_in, text_out, audio_out) counted so far, and start again (formats kept)."""
        counted = (count_text("".join(self.text_in)), self.audio_in, count_text("".join(self.text_out)),
                   self.audio_out)
        self.forget()
        return counted

    def forget(self) -> None:
        """A response the upstream reported usage for: what was counted locally is in it."""
        self.audio_in = self.audio_out = 0
        self.text_in, self.text_out = [], []
