"""Tencent Hunyuan's pure parts: key, request, envelope, chunks and the TC3 signature's shape."""

from __future__ import annotations

import pytest

from backend.relay.convert.tencent import (
    TencentKeyError,
    openai_to_tencent,
    parse_key,
    tc3_authorization,
    tencent_chunk,
    tencent_error,
    tencent_to_openai,
)


def test_parse_key() -> None:
    assert parse_key("123|AKID|sk") == (123, "AKID", "sk")
    for bad in ("123|AKID", "abc|AKID|sk", "1||sk", "1|a|b|c"):
        with pytest.raises(TencentKeyError):
            parse_key(bad)


def test_request() -> None:
    chat = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": [{"type": "text", "text": "a"}]}],
            "stream": True, "top_p": 0.5, "temperature": 0, "max_tokens": 9}
    assert openai_to_tencent(chat, "hunyuan-pro") == {
        "Model": "hunyuan-pro", "Stream": True, "TopP": 0.5, "Temperature": 0,
        "Messages": [{"Role": "system", "Content": "s"}, {"Role": "user", "Content": "a"}]}


def test_signature_covers_body_date_and_host() -> None:
    auth = tc3_authorization("AKID", "sk", "hunyuan.tencentcloudapi.com", b"{}", 1_700_000_000)
    assert auth.startswith("TC3-HMAC-SHA256 Credential=AKID/2023-11-14/hunyuan/tc3_request, "
                           "SignedHeaders=content-type;host;x-tc-action, Signature=")
    others = {tc3_authorization("AKID", "sk", "hunyuan.tencentcloudapi.com", b"{ }", 1_700_000_000),
              tc3_authorization("AKID", "sk", "other.host", b"{}", 1_700_000_000),
              tc3_authorization("AKID", "sk2", "hunyuan.tencentcloudapi.com", b"{}", 1_700_000_000)}
    assert auth not in others and len(others) == 3


def test_replies_and_errors() -> None:
    usage = {"PromptTokens": 2, "CompletionTokens": 3, "TotalTokens": 5}
    whole = {"Response": {"Id": "i", "Usage": usage,
                          "Choices": [{"FinishReason": "stop", "Message": {"Role": "assistant", "Content": "x"}}]}}
    out = tencent_to_openai(whole, "m")
    assert out["choices"][0]["message"]["content"] == "x"
    assert out["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    mid = tencent_chunk({"Usage": usage, "Choices": [{"FinishReason": "", "Delta": {"Content": "y"}}]}, "m")
    assert mid["choices"][0] == {"index": 0, "delta": {"content": "y"}, "finish_reason": None} and "usage" not in mid
    last = tencent_chunk({"Usage": usage, "Choices": [{"FinishReason": "stop", "Delta": {"Content": ""}}]}, "m")
    assert last["usage"]["total_tokens"] == 5
    err = {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad sig"}}}
    assert tencent_error(err) == ("bad sig", "AuthFailure.SignatureFailure")
    assert tencent_error(whole) is None
