"""Channel system_prompt: added when the request has none, prefixed only with override on."""

from __future__ import annotations

import pytest

from backend.relay.convert.system_prompt import apply_system_prompt

P = "CHANNEL"


@pytest.mark.parametrize(
    ("kind", "body", "override", "expected"),
    [
        ("chat", {"messages": [{"role": "user", "content": "u"}]}, False,
         {"messages": [{"role": "system", "content": P}, {"role": "user", "content": "u"}]}),
        ("chat", {"messages": [{"role": "system", "content": "mine"}]}, False, {"messages": [{"role": "system", "content": "mine"}]}),
        ("chat", {"messages": [{"role": "user", "content": "u"}, {"role": "developer", "content": "mine"}]}, True,
         {"messages": [{"role": "user", "content": "u"}, {"role": "developer", "content": "CHANNEL\nmine"}]}),
        ("chat", {"messages": [{"role": "system", "content": [{"type": "text", "text": "mine"}]}]}, True,
         {"messages": [{"role": "system", "content": [{"type": "text", "text": P}, {"type": "text", "text": "mine"}]}]}),
        ("claude", {"messages": []}, False, {"messages": [], "system": P}),
        ("claude", {"system": "mine"}, False, {"system": "mine"}),
        ("claude", {"system": "mine"}, True, {"system": "CHANNEL\nmine"}),
        ("claude", {"system": [{"type": "text", "text": "mine"}]}, True,
         {"system": [{"type": "text", "text": P}, {"type": "text", "text": "mine"}]}),
        ("responses", {"input": "x"}, False, {"input": "x", "instructions": P}),
        ("responses", {"instructions": "mine"}, True, {"instructions": "CHANNEL\nmine"}),
        ("gemini", {"contents": []}, False, {"contents": [], "systemInstruction": {"parts": [{"text": P}]}}),
        ("gemini", {"systemInstruction": {"parts": [{"text": "mine"}]}}, True,
         {"systemInstruction": {"parts": [{"text": P}, {"text": "mine"}]}}),
        ("gemini", {"systemInstruction": {"parts": [{"text": "mine"}]}}, False, {"systemInstruction": {"parts": [{"text": "mine"}]}}),
    ],
)  # fmt: skip
def test_rules(kind, body, override, expected):
    assert apply_system_prompt(body, kind, P, override) == expected


def test_caller_message_list_is_not_edited():
    messages = [{"role": "system", "content": "mine"}]
    apply_system_prompt({"messages": messages}, "chat", P, True)
    assert messages == [{"role": "system", "content": "mine"}]
