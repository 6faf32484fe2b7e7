"""Coze's v3 chat API (channel type 49), as new-api speaks it: the user turns as
`additional_messages` for the bot named in the channel's `other`, and the stream events
(`conversation.message.delta`, `conversation.chat.completed` with usage, `conversation.chat.failed`,
`error`) as OpenAI chunks."""

from __future__ import annotations

from typing import Any

from backend.json_shape import object_at
from backend.relay.convert.zhipu import text_of


def openai_to_coze(chat: dict, bot_id: str, user: str) -> dict:
    """new-api's convertCozeChatRequest: only the user turns go (the bot keeps its own prompt);
    the call is always streamed (a whole reply is assembled from the stream, not polled for)."""
    messages = [{"role": "user", "content": text_of(m.get("content")), "content_type": "text"}
                for m in chat.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
    return {"bot_id": bot_id, "user_id": user, "additional_messages": messages, "stream": True}


class CozeFailure(Exception):
    def __init__(self, message: str, code: Any) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def coze_event(event: str | None, data: Any) -> tuple[dict | None, dict | None]:
    """(delta, usage) for one event: a delta for message text, the usage when the chat completed
    (delta {} then, the stop chunk). CozeFailure for a failed chat or an error event."""
    data = data if isinstance(data, dict) else {}
    if event == "conversation.message.delta":
        delta: dict[str, Any] = {}
        if isinstance(data.get("reasoning_content"), str) and data["reasoning_content"]:
            delta["reasoning_content"] = data["reasoning_content"]
        content = data.get("content")
        if isinstance(content, str) and content:
            delta["content"] = content
        return (delta or None), None
    if event == "conversation.chat.completed":
        u = object_at(data, "usage")
        p, c = int(u.get("input_count") or 0), int(u.get("output_count") or 0)
        total = int(u.get("token_count") or 0)
        return {}, ({"prompt_tokens": p, "completion_tokens": c, "total_tokens": total or p + c} if total else None)
    if event == "conversation.chat.failed":
        err = object_at(data, "last_error")
        raise CozeFailure(str(err.get("msg") or "Coze chat failed"), err.get("code") or "coze_chat_failed")
    if event == "error":
        raise CozeFailure(str(data.get("msg") or data.get("message") or "Coze stream failed"),
                          data.get("code") or "coze_error")
    return None, None
