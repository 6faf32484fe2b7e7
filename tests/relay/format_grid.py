"""The channel kinds of the conversion grid, for the Claude- and Gemini-ingress SDK tests: each kind
is one channel on the fake upstream, with the client's models mapped to upstream names that pick
the fake's behaviour (`-parallel`: two tool calls in one turn), and the usage that kind reports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import orjson

from backend.models.channel_types import ANTHROPIC_ID, GEMINI_ID, OPENAI_ID
from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.fakes.upstream import RecordedRequest
from tests.relay.relay_seed import RelayEnv, make_channel

PNG_B64 = (  # a 1x1 PNG: what an image turn carries, byte for byte
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}


@dataclass(frozen=True)
class Kind:
    name: str
    type_id: int
    upstream: str  # the upstream model the client's plain model maps to
    path: str  # the upstream path a generate call reaches (for Gemini: its prefix)

    def usage(self, prompt: int = ow.PROMPT_TOKENS, completion: int = ow.COMPLETION_TOKENS) -> Usage:
        """What this kind's fake reports for a plain call, read as billing reads it."""
        return Usage(prompt, completion, semantics="anthropic" if self.type_id == ANTHROPIC_ID else "openai")


KINDS = {
    "openai": Kind("openai", OPENAI_ID, "gpt-4o", "/v1/chat/completions"),
    "anthropic": Kind("anthropic", ANTHROPIC_ID, "claude-sonnet-4-5", "/v1/messages"),
    "gemini": Kind("gemini", GEMINI_ID, "gemini-2.0-flash", "/v1beta/models/gemini-2.0-flash"),
}


def grid_channel(env: RelayEnv, kind: Kind, plain: str, parallel: str, **extra: object) -> int:
    """One channel of `kind` serving `plain` (-> kind.upstream) and `parallel` (-> kind.upstream +
    "-parallel", which makes the fake call two tools at once)."""
    mapping = {plain: kind.upstream, parallel: kind.upstream + "-parallel"}
    return make_channel(env.fake.url, f"{plain},{parallel}", type_=kind.type_id, model_mapping=mapping, **extra)


def upstream_calls(env: RelayEnv, kind: Kind) -> list[RecordedRequest]:
    return [r for r in env.fake.requests if r.path.startswith(kind.path)]


def sse_events(url: str, body: dict, headers: dict[str, str]) -> Iterator[tuple[str, dict]]:
    """(event name or "", JSON payload) of each SSE frame the gateway streams."""
    with httpx.stream("POST", url, json=body, headers=headers, timeout=60) as resp:
        assert resp.status_code == 200, resp.read()
        assert resp.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in resp.iter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                yield name, orjson.loads(line[5:].strip())
                name = ""
