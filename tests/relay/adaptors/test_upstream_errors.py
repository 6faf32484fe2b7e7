"""new-api's rules for upstream error bodies (reference §3)."""

from __future__ import annotations

import orjson
import pytest

from backend.relay.adaptors.errors import upstream_error
from tests.relay.adaptors.adaptor_helpers import adaptor, channel

GENERIC = {"type": "upstream_error", "code": "bad_response_status_code"}


@pytest.mark.parametrize(
    ("status", "body", "message", "type_", "code", "param"),
    [
        (
            429,
            {
                "error": {
                    "message": "Rate limit",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            },
            "Rate limit",
            "requests",
            "rate_limit_exceeded",
            None,
        ),
        (400, {"message": "top-level message"}, "top-level message", *GENERIC.values(), "400"),
        (500, {"msg": "msg field"}, "msg field", *GENERIC.values(), "500"),
        (502, {"err": "err field"}, "err field", *GENERIC.values(), "502"),
        (500, {"error_msg": "baidu style"}, "baidu style", *GENERIC.values(), "500"),
        (500, {"header": {"message": "xunfei style"}}, "xunfei style", *GENERIC.values(), "500"),
        (500, {"response": {"error": {"message": "nested"}}}, "nested", *GENERIC.values(), "500"),
        (503, {"error": "plain string error"}, "plain string error", *GENERIC.values(), "503"),
        (500, {"message": "", "msg": "second"}, "second", *GENERIC.values(), "500"),
        (500, {"error": {"message": ""}, "msg": "fallback"}, "fallback", *GENERIC.values(), "500"),
        (504, {}, "bad response status code 504", *GENERIC.values(), "504"),
        (
            500,
            [{"error": {"message": "gemini list", "status": "INTERNAL", "code": 500}}],
            "gemini list",
            "INTERNAL",
            500,
            None,
        ),
    ],
)
def test_rules(status, body, message, type_, code, param):
    err = upstream_error(status, orjson.dumps(body))
    assert err.status_code == status
    assert err.message == message
    assert err.type == type_
    assert err.code == code
    assert err.param == param


def test_error_object_passes_through_unchanged():
    obj = {
        "message": "Invalid key",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
        "x": 1,
    }
    err = upstream_error(401, orjson.dumps({"error": obj}))
    assert err.openai_error() == obj
    assert err.claude_error() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "Invalid key"},
    }


def test_claude_error_body():
    raw = orjson.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    err = upstream_error(529, raw)
    assert (err.type, err.message) == ("overloaded_error", "Overloaded")
    assert err.openai_error() == {"type": "overloaded_error", "message": "Overloaded"}


@pytest.mark.parametrize("raw", [b"", b"<html>502 Bad Gateway</html>", b"null", b'"text"', b"[1]"])
def test_unreadable_bodies(raw):
    err = upstream_error(502, raw)
    assert err.message == "bad response status code 502"
    assert err.openai_error() == {
        "message": "bad response status code 502",
        "type": "upstream_error",
        "param": "502",
        "code": "bad_response_status_code",
    }


def test_adaptor_parse_error_uses_the_rules():
    err = adaptor(channel(1)).parse_error(500, b'{"msg":"boom"}')
    assert (err.status_code, err.message, err.param) == (500, "boom", "500")
