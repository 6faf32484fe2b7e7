"""Xunfei Spark's pure parts: the key, the version and domain, the signed URL (checked against the
signature recomputed from its own query), the request frame and the reply frames."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, urlsplit

import pytest

from backend.relay.convert.xunfei import (
    SparkKey,
    XunfeiKeyError,
    api_version,
    domain_for,
    frame_delta,
    frame_error,
    frame_is_last,
    openai_to_xunfei,
    parse_key,
    signed_url,
    ws_base,
)

KEY = SparkKey("app", "secret", "key")


def test_parse_key() -> None:
    assert parse_key(" app | secret|key ") == KEY
    for bad in ("app|secret", "a|b|c|d", "app||key", ""):
        with pytest.raises(XunfeiKeyError):
            parse_key(bad)


@pytest.mark.parametrize(("model", "query", "other", "version"), [
    ("SparkDesk-v3.5", None, "v1.1", "v3.5"),
    ("SparkDesk-v3.5", "v4.0", None, "v4.0"),
    ("SparkDesk", None, " v2.1 ", "v2.1"),
    ("SparkDesk", None, "", "v1.1"),
    ("spark-pro-max", None, "v3.1", "v3.1"),  # three parts: not a version
])
def test_api_version(model: str, query: str | None, other: str | None, version: str) -> None:
    assert api_version(model, query, other) == version


@pytest.mark.parametrize(("version", "domain"), [("v1.1", "lite"), ("v2.1", "generalv2"), ("v3.1", "generalv3"),
                                                 ("v3.5", "generalv3.5"), ("v4.0", "4.0Ultra"), ("v9", "generalv9")])
def test_domain_for(version: str, domain: str) -> None:
    assert domain_for(version) == domain


@pytest.mark.parametrize(("base", "ws"), [(None, "wss://spark-api.xf-yun.com"), ("https://h.example/", "wss://h.example"),
                                          ("http://127.0.0.1:9", "ws://127.0.0.1:9"), ("wss://x", "wss://x")])
def test_ws_base(base: str | None, ws: str) -> None:
    assert ws_base(base) == ws


def test_signed_url_signs_host_date_and_request_line() -> None:
    date = "Sat, 05 Dec 2026 07:00:00 GMT"
    url = signed_url("wss://spark-api.xf-yun.com/v3.5/chat", KEY, date)
    parts = urlsplit(url)
    assert parts.path == "/v3.5/chat"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["host"] == "spark-api.xf-yun.com" and query["date"] == date
    expected = base64.b64encode(hmac.new(b"secret", f"host: spark-api.xf-yun.com\ndate: {date}\nGET /v3.5/chat HTTP/1.1"
                                         .encode(), hashlib.sha256).digest()).decode()
    assert base64.b64decode(query["authorization"]).decode() == (
        f'hmac username="key", algorithm="hmac-sha256", headers="host date request-line", signature="{expected}"')


@pytest.mark.parametrize(("chat", "text", "params"), [
    ({"model": "SparkDesk", "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
      "temperature": 0.2, "max_tokens": 9, "n": 2},
     [{"role": "user", "content": "S"}, {"role": "assistant", "content": "Okay"}, {"role": "user", "content": "U"}],
     {"domain": "d", "temperature": 0.2, "top_k": 2, "max_tokens": 9}),
    ({"model": "SparkDesk-v3.5", "messages": [{"role": "system", "content": "S"},
                                              {"role": "user", "content": [{"type": "text", "text": "U"}]}],
      "max_completion_tokens": 5},
     [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}], {"domain": "d", "max_tokens": 5}),
])
def test_openai_to_xunfei(chat: dict, text: list, params: dict) -> None:
    assert openai_to_xunfei(chat, "app", "d") == {"header": {"app_id": "app"}, "parameter": {"chat": params},
                                                  "payload": {"message": {"text": text}}}


MIDDLE = {"header": {"code": 0, "status": 1}, "payload": {"choices": {"status": 1, "text": [{"content": "He"}]}}}
LAST = {"header": {"code": 0, "status": 2}, "payload": {
    "choices": {"status": 2, "text": [{"content": "llo"}]},
    "usage": {"text": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5, "question_tokens": 1}}}}
ERROR = {"header": {"code": 10013, "message": "not compliant", "status": 2}}


def test_reply_frames() -> None:
    assert (frame_delta(MIDDLE), frame_is_last(MIDDLE), frame_error(MIDDLE)) == (("He", None), False, None)
    assert frame_delta(LAST) == ("llo", {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})
    assert frame_is_last(LAST) and frame_is_last(ERROR)
    assert frame_error(ERROR) == (10013, "not compliant")
    assert frame_error({"header": {"code": 11200}}) == (11200, "Xunfei error 11200")
    assert frame_delta({}) == ("", None)
