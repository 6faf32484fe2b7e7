"""Native Gemini embedding calls (`:embedContent`, `:batchEmbedContents`) on OpenAI-format
channels: the request becomes one `/v1/embeddings` call (one input per Gemini request), the
reply goes back in the shape of the action that was called."""

from __future__ import annotations

from typing import Any


def _text(content: Any) -> str:
    parts = content.get("parts") if isinstance(content, dict) else None
    return "".join(p["text"] for p in parts or () if isinstance(p, dict) and isinstance(p.get("text"), str))


def embed_requests(body: dict) -> list[dict]:
    """The Gemini embed requests in a body: `requests[]` (batch) or the body itself (single)."""
    requests = body.get("requests")
    if isinstance(requests, list):
        return [r for r in requests if isinstance(r, dict)]
    return [body]


def gemini_embed_to_openai_request(body: dict, model: str) -> dict:
    requests = embed_requests(body)
    out: dict[str, Any] = {"model": model, "input": [_text(r.get("content")) for r in requests]}
    dims = next((r.get("outputDimensionality") for r in requests if isinstance(r.get("outputDimensionality"), int)),
                None)
    if dims:
        out["dimensions"] = dims
    return out


def openai_to_gemini_embed_response(resp: dict, batch: bool) -> dict:
    """`{"embeddings": [{"values"}...]}` for batchEmbedContents, `{"embedding": {"values"}}` else."""
    items = sorted((d for d in resp.get("data") or () if isinstance(d, dict)), key=lambda d: d.get("index") or 0)
    values = [{"values": d.get("embedding") or []} for d in items]
    if batch:
        return {"embeddings": values}
    return {"embedding": values[0] if values else {"values": []}}
