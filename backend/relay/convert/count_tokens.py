"""Claude Messages token counting at the provider: the bodies of Anthropic's
`POST /v1/messages/count_tokens` (and Vertex's `count-tokens:rawPredict`, the same body plus
`anthropic_version`), Bedrock's CountTokens (`{"input": {"invokeModel": {"body": <base64>}}}`),
and the count read back from either reply (`input_tokens` / `inputTokens`).

Anthropic refuses fields a count does not take (max_tokens, stream, temperature...), so a
Messages body is cut down to the ones it does.
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

# what Anthropic's count_tokens accepts besides `model`
COUNT_FIELDS = ("messages", "system", "tools", "tool_choice", "thinking", "mcp_servers")


def claude_count_body(body: dict, model: str) -> dict:
    """Anthropic's count_tokens body for a Messages body, naming `model`."""
    out: dict[str, Any] = {"model": model}
    out.update({k: body[k] for k in COUNT_FIELDS if k in body})
    return out


def bedrock_count_body(invoke_body: dict) -> dict:
    """Bedrock's CountTokens request for the InvokeModel body the call would send."""
    return {"input": {"invokeModel": {"body": base64.b64encode(orjson.dumps(invoke_body)).decode()}}}


def counted_tokens(reply: Any) -> int | None:
    """The count in a count reply (Anthropic / Vertex: input_tokens, Bedrock: inputTokens)."""
    if not isinstance(reply, dict):
        return None
    for name in ("input_tokens", "inputTokens"):
        value = reply.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None
