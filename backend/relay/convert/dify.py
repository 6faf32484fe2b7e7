"""Dify's app API (channel type 37, ChatFlow apps: `/v1/chat-messages`), as new-api speaks it: the
conversation flattened into one `query` ("SYSTEM: / USER: / ASSISTANT:" blocks), images by URL as
`files`, the blocking reply, and the streaming events (`message`, `agent_message`,
`workflow_*`/`node_*`, `message_end`, `error`) as OpenAI chunks."""

from __future__ import annotations

from typing import Any

from backend.json_shape import object_at

THINK_OPEN = '<details style="color:gray;background-color: #f8f8f8;padding: 8px;border-radius: 4px;" open> <summary> Thinking... </summary>\n'
THINK_CLOSE = "</details>"


class DifyInputError(ValueError):
    """The request carries something Dify cannot take this way (an inline image)."""


def _parts(content: Any) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [p for p in content or [] if isinstance(p, dict)] if isinstance(content, list) else []


def _text(content: Any) -> str:
    return "".join(p.get("text", "") for p in _parts(content) if p.get("type") == "text")


def openai_to_dify(chat: dict, user: str) -> dict:
    """new-api's requestOpenAI2Dify. Images must be URLs (Dify's `remote_url` files): inline
    `data:` images would need an upload first, which this gateway does not do."""
    query: list[str] = []
    files: list[dict] = []
    for msg in chat.get("messages") or []:
        if not isinstance(msg, dict):
            continue
        role = msg.get("role")
        if role in ("system", "developer"):
            query.append("SYSTEM: \n" + _text(msg.get("content")) + "\n")
        elif role == "assistant":
            query.append("ASSISTANT: \n" + _text(msg.get("content")) + "\n")
        else:
            for part in _parts(msg.get("content")):
                if part.get("type") == "text":
                    query.append("USER: \n" + str(part.get("text", "")) + "\n")
                elif part.get("type") == "image_url":
                    image = part.get("image_url")
                    url = image.get("url") if isinstance(image, dict) else image
                    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                        raise DifyInputError("Dify channels take images by http(s) URL only")
                    files.append({"type": "image", "transfer_mode": "remote_url", "url": url})
    return {
        "inputs": {}, "query": "".join(query),
        "response_mode": "streaming" if chat.get("stream") is True else "blocking",
        "user": user, "auto_generate_name": False, "files": files,
    }


def _usage(resp: dict, extra_completion: int = 0) -> dict | None:
    meta = object_at(resp, "metadata")
    u = object_at(meta, "usage")
    if not u.get("total_tokens"):
        return None
    p, c = int(u.get("prompt_tokens") or 0), int(u.get("completion_tokens") or 0) + extra_completion
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def dify_to_openai(resp: dict, model: str, created: int) -> dict:
    out: dict[str, Any] = {
        "id": resp.get("conversation_id") or resp.get("message_id") or "", "object": "chat.completion",
        "created": created, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": str(resp.get("answer") or "")},
                     "finish_reason": "stop"}],
    }
    usage = _usage(resp)
    if usage:
        out["usage"] = usage
    return out


def dify_delta(event: dict, debug: bool) -> dict | None:
    """The chunk delta for one stream event, or None for events that show nothing."""
    kind = str(event.get("event") or "")
    data = object_at(event, "data")
    if kind.startswith("workflow_") and debug:
        text = "Workflow: " + str(data.get("workflow_id") or "")
        return {"reasoning_content": text + (" " + str(data.get("status")) if kind == "workflow_finished" else "") + "\n"}
    if kind.startswith("node_") and debug:
        text = "Node: " + str(data.get("node_type") or "")
        return {"reasoning_content": text + (" " + str(data.get("status")) if kind == "node_finished" else "") + "\n"}
    if kind in ("message", "agent_message"):
        answer = str(event.get("answer") or "")
        return {"content": {THINK_OPEN: "<think>", THINK_CLOSE: "</think>"}.get(answer, answer)}
    return None


def dify_end_usage(event: dict, debug_lines: int) -> dict | None:
    """`message_end`'s usage, with each debug line shown counted as a completion token (new-api)."""
    return _usage(event, debug_lines)
