"""Local token counting: encoder choice, message/tool/image rules, Claude bodies, completion fallback."""

import base64
import struct

import bpe_openai
import orjson
import pytest

from backend.config import reset_settings
from backend.relay import token_counter as tc


def ref(name: str, text: str) -> int:
    return len(bpe_openai.get_encoding(name).encode_ordinary(text))


ZH = "你好，世界！今天的天气怎么样？"


@pytest.mark.parametrize(
    ("model", "encoding"),
    [("gpt-4o", "o200k_base"), ("gpt-4o-mini", "o200k_base"), ("chatgpt-4o-latest", "o200k_base"),
     ("o1-mini", "o200k_base"), ("o3", "o200k_base"), ("gpt-4.1-nano", "o200k_base"), ("gpt-5", "o200k_base"),
     ("gpt-4", "cl100k_base"), ("gpt-3.5-turbo", "cl100k_base"), ("claude-3-5-sonnet-20241022", "cl100k_base"),
     ("gemini-2.5-pro", "cl100k_base"), ("deepseek-chat", "cl100k_base")],
)
def test_encoding_choice(model, encoding):
    assert tc.encoding_name(model) == encoding
    assert tc.count_text(model, ZH) == ref(encoding, ZH)


def test_the_two_encoders_really_differ_on_this_text():
    assert ref("o200k_base", ZH) != ref("cl100k_base", ZH)


def test_special_token_text_counts_as_plain_text():
    assert tc.count_text("gpt-4", "<|endoftext|>") == ref("cl100k_base", "<|endoftext|>") > 1


def test_long_text_is_counted_in_chunks_without_error():
    text = "word " * 60_000  # 300k characters: above one encode call's comfort zone
    assert tc.count_text("gpt-4o", text) == ref("o200k_base", text)


def test_chat_message_rule():
    # 3 (primer) + 3 (message) + "user" (1) + "hello world" (2)
    assert tc.count_messages("gpt-4o", [{"role": "user", "content": "hello world"}]) == 9
    # name: +1 + its tokens
    named = [{"role": "user", "content": "hello world", "name": "bob"}]
    assert tc.count_messages("gpt-4o", named) == 9 + 1 + tc.count_text("gpt-4o", "bob")
    two = [{"role": "system", "content": "be brief"}, {"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert tc.count_messages("gpt-4", two) == 3 + (3 + 1 + 2) + (3 + 1 + 1)


def test_assistant_tool_calls_are_counted():
    msg = {"role": "assistant", "content": None,
           "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}]}
    expected = 3 + 3 + tc.count_text("gpt-4o", "assistant") + tc.count_text("gpt-4o", "get_weather") + \
        tc.count_text("gpt-4o", '{"city":"Paris"}')
    assert tc.count_messages("gpt-4o", [msg]) == expected


def png(w: int, h: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", w, h) + b"\x08\x02\x00\x00\x00"


def data_url(raw: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(raw + b"\x00" * 64).decode()


def image_msg(url: str, detail: str | None = None) -> list[dict]:
    image = {"url": url} if detail is None else {"url": url, "detail": detail}
    return [{"role": "user", "content": [{"type": "image_url", "image_url": image}]}]


BASE = 3 + 3 + 1  # primer + message + "user"


@pytest.mark.parametrize(
    ("w", "h", "detail", "model", "expected"),
    [
        (2048, 4096, "high", "gpt-4o", 1105),  # 1024x2048 → 768x1536 → 2·3 tiles: 6·170 + 85
        (1024, 1024, "auto", "gpt-4o", 765),  # 768x768 → 4 tiles
        (512, 512, "high", "gpt-4o", 255),  # 1 tile
        (100, 100, "high", "gpt-4o", 255),  # small: 1 tile
        (4096, 4096, "low", "gpt-4o", 85),  # low detail: flat 85
        (1024, 1024, "high", "gpt-4o-mini", 4 * 5667 + 2833),
    ],
)
def test_image_tiles_from_a_data_url(w, h, detail, model, expected):
    assert tc.image_tokens(model, w, h, detail) == expected
    assert tc.count_messages(model, image_msg(data_url(png(w, h)), detail)) == BASE + expected


def test_fixed_image_tokens_for_claude_gemini_channels_and_media_switch(monkeypatch):
    url = data_url(png(2048, 4096))
    assert tc.count_messages("gpt-4o", image_msg(url), fixed_image_tokens=tc.FIXED_IMAGE) == BASE + 255
    monkeypatch.setenv("GET_MEDIA_TOKEN", "false")
    reset_settings()
    try:
        assert tc.count_messages("gpt-4o", image_msg(url)) == BASE + 255
        assert tc.count_messages("gpt-4o", image_msg(url, "low")) == BASE + 85
    finally:
        monkeypatch.delenv("GET_MEDIA_TOKEN")
        reset_settings()


def test_remote_image_is_estimated_not_fetched():
    assert tc.count_messages("gpt-4o", image_msg("https://example.invalid/cat.png")) == BASE + 765


def test_audio_and_file_parts():
    content = [{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "wav"}},
               {"type": "file", "file": {"file_data": "x"}}]
    assert tc.count_messages("gpt-4o", [{"role": "user", "content": content}]) == BASE + 100 + 5000


@pytest.mark.parametrize(
    ("raw", "size"),
    [
        (png(640, 480), (640, 480)),
        (b"GIF89a" + struct.pack("<HH", 320, 200), (320, 200)),
        (b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + b"\x00" * 9
         + b"\xff\xc0" + struct.pack(">HBHH", 17, 8, 600, 800), (800, 600)),
        (b"RIFF\x00\x00\x00\x00WEBPVP8X" + b"\x00" * 8 + (1919).to_bytes(3, "little") + (1079).to_bytes(3, "little"),
         (1920, 1080)),
        (b"not an image at all", None),
    ],
)
def test_image_size_headers(raw, size):
    assert tc.image_size(raw) == size


def tool(name: str, description: str, params: dict) -> dict:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": params}}


def test_every_tool_is_counted():
    params = {"type": "object", "properties": {"city": {"type": "string"}}}
    one = 8 + tc.count_text("gpt-4o", "get_weather") + tc.count_text("gpt-4o", "Weather for a city") + \
        tc.count_text("gpt-4o", orjson.dumps(params).decode())
    t1 = tool("get_weather", "Weather for a city", params)
    assert tc.count_tools("gpt-4o", [t1]) == one
    t2 = tool("get_time", "", {"type": "object"})
    two = one + 8 + tc.count_text("gpt-4o", "get_time") + tc.count_text("gpt-4o", '{"type":"object"}')
    assert tc.count_tools("gpt-4o", [t1, t2]) == two  # not only the last one
    body = {"messages": [{"role": "user", "content": "hello world"}], "tools": [t1, t2]}
    assert tc.count_chat_request("gpt-4o", body) == 9 + two


def test_completion_and_embedding_inputs():
    assert tc.count_input("gpt-4", "hello world") == 2
    assert tc.count_input("gpt-4", ["hello world", "hello"]) == 3
    assert tc.count_input("gpt-4", [1, 2, 3, 4]) == 4  # token ids are counted as given
    assert tc.count_input("gpt-4", [[1, 2], [3]]) == 3


def test_claude_body():
    m = "claude-3-5-sonnet-20241022"
    body = {
        "system": "be brief",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hello world"},
                                         {"type": "image", "source": {"type": "base64", "data": "x"}}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "calc", "input": {"x": 1}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "2"}]},
        ],
        "tools": [{"name": "calc", "description": "adds", "input_schema": {"type": "object"}}],
    }
    c = tc.count_text
    expected = (c(m, "be brief")
                + 2 + c(m, "user") + c(m, "hello world") + 1000
                + 2 + c(m, "assistant") + c(m, "calc") + c(m, '{"x":1}')
                + 2 + c(m, "user") + c(m, "2")
                + 3 + c(m, "calc") + c(m, "adds") + c(m, '{"type":"object"}'))
    assert tc.count_claude_request(m, body) == expected


def test_stream_completion_fallback():
    acc = tc.CompletionAccumulator()
    acc.add_openai_delta({"role": "assistant", "reasoning_content": "Let me think."})
    acc.add_openai_delta({"content": "Hello"})
    acc.add_openai_delta({"content": " there"})
    acc.add_openai_delta({"tool_calls": [
        {"index": 0, "function": {"name": "a", "arguments": ""}},
        {"index": 1, "function": {"name": "b", "arguments": ""}},
    ]})
    acc.add_openai_delta({"tool_calls": [{"index": 0, "function": {"arguments": '{"q":1}'}}]})
    m = "gpt-4o"
    expected = tc.count_text(m, "Hello there") + tc.count_text(m, "Let me think.") + \
        tc.count_text(m, "ab") + tc.count_text(m, '{"q":1}') + 7 * 2
    assert acc.count(m) == expected
    assert acc.text() == "Hello thereLet me think."
    assert tc.count_completion(m, "Hello there", "Let me think.") == \
        tc.count_text(m, "Hello there") + tc.count_text(m, "Let me think.")


def test_count_token_switch_turns_counting_off(monkeypatch):
    monkeypatch.setenv("CountToken", "false")
    reset_settings()
    try:
        assert tc.count_chat_request("gpt-4o", {"messages": [{"role": "user", "content": "hi"}]}) == 0
        assert tc.count_claude_request("claude-3-5-sonnet-20241022", {"messages": []}) == 0
        assert tc.count_completion("gpt-4o", "hello") == 0
        assert tc.count_prompt_input("gpt-4o", "hello") == 0
    finally:
        monkeypatch.delenv("CountToken")
        reset_settings()


def test_encoders_load_once(monkeypatch):
    monkeypatch.setattr(tc, "_encoders", {})
    loads = []
    real = bpe_openai.get_encoding
    monkeypatch.setattr(bpe_openai, "get_encoding", lambda name: loads.append(name) or real(name))
    for _ in range(5):
        tc.count_text("gpt-4o", "hi")
        tc.count_text("gpt-4", "hi")
    assert sorted(loads) == ["cl100k_base", "o200k_base"]
