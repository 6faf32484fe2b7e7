"""Zhipu v3's pure parts: the request body, the reply envelope, stream events and their framing,
and the JWT (verified here with the secret)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import orjson
import pytest

from backend.relay.convert.zhipu import (
    TOKEN_LIFETIME_MS,
    ZhipuKeyError,
    ZhipuStreamParser,
    openai_to_zhipu,
    zhipu_chunk,
    zhipu_error,
    zhipu_to_openai,
    zhipu_token,
)
from backend.relay.sse import SSEEvent


@pytest.mark.parametrize(("chat", "native"), [
    ({"messages": [{"role": "user", "content": "hi"}]}, {"prompt": [{"role": "user", "content": "hi"}]}),
    ({"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": [
        {"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "x"}}, {"type": "text", "text": "b"}]}],
      "temperature": 0.5, "top_p": 1},
     {"prompt": [{"role": "system", "content": "s"}, {"role": "user", "content": "Okay"},
                 {"role": "user", "content": "ab"}], "temperature": 0.5, "top_p": 0.99}),
    ({"messages": [{"role": "assistant", "content": None}], "top_p": 0.3, "max_tokens": 5},
     {"prompt": [{"role": "assistant", "content": ""}], "top_p": 0.3}),
])
def test_openai_to_zhipu(chat: dict, native: dict) -> None:
    assert openai_to_zhipu(chat) == native


def test_reply_envelope() -> None:
    ok = {"success": True, "data": {"task_id": "t", "choices": [{"role": "assistant", "content": '"hi"'}],
                                    "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}}}
    out = zhipu_to_openai(ok, "glm", 7)
    assert out["choices"] == [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]
    assert (out["id"], out["usage"]["total_tokens"], zhipu_error(ok)) == ("t", 3, None)
    assert zhipu_error({"success": False, "code": 1301, "msg": "bad"}) == ("bad", 1301)
    assert zhipu_error({}) == ("Zhipu call failed", None)


def test_stream_framing_keeps_spaces_and_reads_meta() -> None:
    parser = ZhipuStreamParser(1 << 20)
    raw = b"event:add\ndata:Hi\n\nevent:add\ndata: there\ndata:x\n\nevent:finish\ndata:\nmeta:{\"usage\":{\"prompt_tokens\":1}}\n\n"
    events = parser.feed(raw[:17]) + parser.feed(raw[17:]) + parser.flush()
    assert [(e.event, e.data) for e in events] == [
        ("add", b"Hi"), ("add", b" there"), ("add", b"\nx"), ("meta", b'{"usage":{"prompt_tokens":1}}')]
    text = zhipu_chunk(events[1], "glm", 1)
    assert text is not None and text["choices"][0]["delta"] == {"content": " there"}
    last = zhipu_chunk(events[3], "glm", 1)
    assert last is not None and last["choices"][0]["finish_reason"] == "stop" and last["usage"] == {"prompt_tokens": 1}
    assert zhipu_chunk(SSEEvent(b"quota exceeded", "error"), "glm", 1) is None
    assert "usage" not in (zhipu_chunk(SSEEvent(b"not json", "meta"), "glm", 1) or {})


def test_token_is_zhipus_hs256_jwt() -> None:
    token = zhipu_token("kid.sekret", 1_000)
    head, claims, sig = token.split(".")
    unb64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    assert hmac.compare_digest(unb64(sig), hmac.new(b"sekret", f"{head}.{claims}".encode(), hashlib.sha256).digest())
    assert orjson.loads(unb64(head)) == {"alg": "HS256", "sign_type": "SIGN", "typ": "JWT"}
    assert orjson.loads(unb64(claims)) == {"api_key": "kid", "exp": 1_000 + TOKEN_LIFETIME_MS, "timestamp": 1_000}
    for bad in ("nosecret", "a.", ".b", "a.b.c"):
        with pytest.raises(ZhipuKeyError):
            zhipu_token(bad, 1)
