"""A channel's `system_prompt` setting, applied to the upstream body (new-api's rules).

Without a system prompt in the request, the channel's becomes it. With one, nothing changes
unless `system_prompt_override` is on: then the channel's text goes first, joined with "\\n"
(string forms) or as a leading text part/block (list forms).
"""

from __future__ import annotations

from typing import Any, Literal

Kind = Literal["chat", "claude", "responses", "gemini"]


def _prefixed(existing: Any, prompt: str, part: dict) -> Any:
    if isinstance(existing, str):
        return f"{prompt}\n{existing}" if existing.strip() else prompt
    if isinstance(existing, list):
        return [part, *existing] if existing else prompt
    return prompt


def apply_system_prompt(body: dict, kind: Kind, prompt: str, override: bool) -> dict:
    """The body with the channel prompt applied; lists are replaced, never edited in place."""
    if not prompt:
        return body
    if kind == "chat":
        messages = body.get("messages")
        if not isinstance(messages, list):
            return body
        found = next(
            (
                i
                for i, m in enumerate(messages)
                if isinstance(m, dict) and m.get("role") in ("system", "developer")
            ),
            None,
        )
        if found is None:
            body["messages"] = [{"role": "system", "content": prompt}, *messages]
        elif override:
            msg = messages[found]
            content = _prefixed(msg.get("content"), prompt, {"type": "text", "text": prompt})
            body["messages"] = [*messages[:found], {**msg, "content": content}, *messages[found + 1 :]]
    elif kind == "claude":
        if body.get("system") in (None, "", []):
            body["system"] = prompt
        elif override:
            body["system"] = _prefixed(body["system"], prompt, {"type": "text", "text": prompt})
    elif kind == "responses":
        if not body.get("instructions"):
            body["instructions"] = prompt
        elif override:
            body["instructions"] = _prefixed(body["instructions"], prompt, {})
    elif kind == "gemini":
        parts = (body.get("systemInstruction") or {}).get("parts")
        if not parts:
            body["systemInstruction"] = {"parts": [{"text": prompt}]}
        elif override:
            body["systemInstruction"] = {**body["systemInstruction"], "parts": [{"text": prompt}, *parts]}
    return body
