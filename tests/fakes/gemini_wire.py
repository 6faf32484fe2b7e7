"""Gemini (generativelanguage v1beta) wire-format replies and request validation."""

from __future__ import annotations

from typing import Any

from tests.fakes.openai_wire import REASONING_TEXT, REPLY_PIECES, REPLY_TEXT

THOUGHTS_TOKENS = 5
EMBEDDING = [0.1, -0.2, 0.3]
TOOL_ARGS = {"city": "Paris"}
GENERATION_KEYS = {
    "temperature", "topP", "topK", "maxOutputTokens", "seed", "stopSequences", "candidateCount",
    "responseMimeType", "responseSchema", "responseJsonSchema", "responseModalities", "thinkingConfig",
    "presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs", "mediaResolution", "speechConfig",
}  # fmt: skip
STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
}


def validate(body: Any) -> str | None:
    """What the Gemini API rejects among the shapes a conversion can get wrong."""
    if not isinstance(body, dict):
        return "Invalid JSON payload"
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return "* GenerateContentRequest.contents: contents is not specified"
    for i, content in enumerate(contents):
        if content.get("role") not in ("user", "model"):
            return f"* GenerateContentRequest.contents[{i}].role: must be user or model"
        if not content.get("parts"):
            return f"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty."
    config = _get(body, "generationConfig") or {}
    unknown = set(config) - GENERATION_KEYS - {_snake(k) for k in GENERATION_KEYS}
    if unknown:
        return f"Invalid JSON payload received. Unknown name \"{sorted(unknown)[0]}\" at 'generation_config'"
    for decl in (t.get("functionDeclarations") or [] for t in body.get("tools") or []):
        for fn in decl:
            params = fn.get("parameters") or {}
            if "additionalProperties" in str(params) or "$schema" in params:
                return 'Invalid JSON payload received. Unknown name "additionalProperties"'
    return None


def _wants_tool(body: dict) -> bool:
    declared = any(t.get("functionDeclarations") for t in body.get("tools") or [])
    last = (body.get("contents") or [{}])[-1]
    return declared and not any("functionResponse" in p for p in last.get("parts") or [])


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _get(obj: dict, camel: str) -> Any:
    """Protobuf JSON accepts camelCase and snake_case names alike (newer SDKs send snake_case)."""
    return obj.get(camel, obj.get(_snake(camel)))


def _thinking(body: dict) -> bool:
    config = _get(body, "generationConfig") or {}
    return _get(_get(config, "thinkingConfig") or {}, "includeThoughts") is True


def _tool_name(body: dict) -> str:
    for tool in body.get("tools") or []:
        for fn in tool.get("functionDeclarations") or []:
            return fn["name"]
    return "tool"


def _calls(body: dict, model: str) -> list[dict]:
    """functionCall parts: the first tool, or (a `parallel` model) each of the first two."""
    if "parallel" not in model:
        return [{"functionCall": {"name": _tool_name(body), "args": TOOL_ARGS}}]
    names = [fn["name"] for t in body.get("tools") or [] for fn in t.get("functionDeclarations") or []]
    return [{"functionCall": {"name": n, "args": TOOL_ARGS}} for n in (names + names)[:2]]


def usage(body: dict, prompt: int, completion: int) -> dict:
    out = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": completion,
        "totalTokenCount": prompt + completion,
    }
    if _thinking(body):
        out["thoughtsTokenCount"] = THOUGHTS_TOKENS
        out["totalTokenCount"] += THOUGHTS_TOKENS
    return out


def reply(body: dict, model: str, prompt: int, completion: int) -> dict:
    parts: list[dict] = []
    if _thinking(body):
        parts.append({"text": REASONING_TEXT, "thought": True})
    if _wants_tool(body):
        parts += _calls(body, model)
    else:
        parts.append({"text": REPLY_TEXT})
    return {
        "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}],
        "usageMetadata": usage(body, prompt, completion),
        "modelVersion": model,
        "responseId": "fake-response",
    }


def chunks(body: dict, model: str, prompt: int, completion: int) -> list[dict]:
    def chunk(parts: list[dict], finish: str | None = None, final: bool = False) -> dict:
        cand: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": 0}
        if finish:
            cand["finishReason"] = finish
        meta = (
            usage(body, prompt, completion)
            if final
            else {"promptTokenCount": prompt, "totalTokenCount": prompt}
        )
        return {
            "candidates": [cand],
            "usageMetadata": meta,
            "modelVersion": model,
            "responseId": "fake-response",
        }

    out: list[dict] = []
    if _thinking(body):
        out.append(chunk([{"text": REASONING_TEXT, "thought": True}]))
    if _wants_tool(body):
        out.append(chunk(_calls(body, model), "STOP", True))
        return out
    out += [chunk([{"text": piece}]) for piece in REPLY_PIECES[:-1]]
    out.append(chunk([{"text": REPLY_PIECES[-1]}], "STOP", True))
    return out


def blocked(prompt: int) -> dict:
    return {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": prompt, "totalTokenCount": prompt},
    }


def embeddings(body: dict, model: str) -> tuple[dict | None, str | None]:
    requests = body.get("requests")
    if not isinstance(requests, list) or not requests:
        return None, "* BatchEmbedContentsRequest.requests: requests is not specified"
    for req in requests:
        if req.get("model") != f"models/{model}":
            return None, "* BatchEmbedContentsRequest.requests[0].model: model must match the URL"
    return {"embeddings": [{"values": EMBEDDING} for _ in requests]}, None


def error_body(status: int, message: str) -> dict:
    return {"error": {"code": status, "message": message, "status": STATUS.get(status, "INTERNAL")}}
