"""Ollama: chat and completions through its OpenAI-compatible /v1 API; embeddings through the
native /api/embed, whose reply is reshaped into OpenAI's embeddings list."""

from __future__ import annotations

import orjson

from backend.models.usage import Usage
from backend.relay.adaptors.base import RelayFormat, RelayResponse
from backend.relay.adaptors.errors import json_object
from backend.relay.adaptors.openai import OpenAIAdaptor

F = RelayFormat


def openai_to_ollama_embed(body: dict, model: str) -> dict:
    out: dict = {"model": model, "input": body.get("input", "")}
    if isinstance(body.get("dimensions"), int):
        out["dimensions"] = body["dimensions"]
    return out


def ollama_embed_to_openai(resp: dict, model: str) -> tuple[dict, Usage | None]:
    vectors = resp.get("embeddings") or []
    prompt = resp.get("prompt_eval_count")
    prompt = prompt if isinstance(prompt, int) and prompt > 0 else 0
    body = {
        "object": "list",
        "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
        "model": resp.get("model") or model,
        "usage": {"prompt_tokens": prompt, "total_tokens": prompt},
    }
    return body, (Usage(prompt, 0) if prompt else None)


class OllamaAdaptor(OpenAIAdaptor):
    formats = frozenset(
        {F.OPENAI_CHAT, F.OPENAI_COMPLETIONS, F.OPENAI_EMBEDDINGS, F.CLAUDE_MESSAGES, F.GEMINI}
    )

    def request_url(self) -> str:
        if self.upstream_format == F.OPENAI_EMBEDDINGS:
            return self.base_url() + "/api/embed"
        return super().request_url()

    def convert_request(self, body: dict) -> dict:
        if self.meta.fmt == F.OPENAI_EMBEDDINGS:
            return openai_to_ollama_embed(body, self.upstream_model)
        return super().convert_request(body)

    def parse_response(self, raw: bytes, content_type: str | None = None) -> RelayResponse:
        if self.meta.fmt != F.OPENAI_EMBEDDINGS:
            return super().parse_response(raw, content_type)
        resp = json_object(raw)
        body, usage = ollama_embed_to_openai(resp, self.upstream_model)
        return RelayResponse(orjson.dumps(body), "application/json", usage, "")
