"""Hostile relay bodies over real HTTP: deep nesting, integers past 64 bits, huge or control-laden
model names. Each is a 400 in OpenAI's error shape that echoes nothing raw, decided before any
upstream is called (the fake upstream behind a real channel sees no request)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

from backend.relay.body import MAX_JSON_DEPTH
from tests.relay.relay_seed import RelayEnv, make_channel, make_key, relay_env

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        make_channel(e.fake.url, "gpt-4o,text-embedding-3-small")
        yield e


@pytest.fixture
def key(env: RelayEnv) -> str:
    return make_key()[2]


def post_raw(env: RelayEnv, key: str, raw: bytes, path: str = "/v1/chat/completions") -> httpx.Response:
    return httpx.post(env.url + path, content=raw, timeout=30,
                      headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})


def assert_400(resp: httpx.Response, code: str, *, not_echoed: str = "") -> dict:
    assert resp.status_code == 400, resp.text
    err = resp.json()["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["code"] == code
    assert err["message"].endswith(f" (request id: {resp.headers['X-Oneapi-Request-Id']})")
    assert len(resp.content) < 1000  # nothing large is echoed back
    if not_echoed:
        assert not_echoed not in resp.text
    return err


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 800])
def test_deep_json_is_refused(env: RelayEnv, key: str, depth: int) -> None:
    raw = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "metadata": ' + nested(depth) + b"}"
    err = assert_400(post_raw(env, key, raw), "invalid_request_body")
    assert "nested deeper" in err["message"]
    assert env.fake.requests == []


def test_deeper_than_the_parser_allows_is_refused(env: RelayEnv, key: str) -> None:
    raw = b'{"model": "gpt-4o", "x": ' + nested(5000) + b"}"
    assert_400(post_raw(env, key, raw), "invalid_text_request")


def test_reasonable_nesting_goes_through(env: RelayEnv, key: str) -> None:
    schema: dict = {"type": "string"}
    for _ in range(20):  # a deep but real JSON schema: 40 levels of containers
        schema = {"type": "object", "properties": {"inner": schema}}
    body = {"model": "gpt-4o", "messages": MESSAGES, "response_format": {"type": "json_schema", "json_schema": {
        "name": "deep", "schema": schema}}}
    resp = post_raw(env, key, orjson.dumps(body))
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize(("literal", "code"), [
    (b"18446744073709551616", "invalid_request_body"),  # 2**64: orjson reads it as a float
    (b"9223372036854775808", "invalid_request_body"),  # 2**63: orjson reads it, but cannot write it back
    (b"-9223372036854775809", "invalid_request_body"),
    (b"1" + b"0" * 400, "invalid_text_request"),  # past a double's range: orjson itself refuses
])
def test_integers_beyond_64_bits_are_refused(env: RelayEnv, key: str, literal: bytes, code: str) -> None:
    raw = b'{"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "max_tokens": ' + literal + b"}"
    resp = post_raw(env, key, raw)
    assert_400(resp, code, not_echoed=literal.decode()[:19])
    assert env.fake.requests == []


def test_long_digit_runs_inside_strings_are_just_text(env: RelayEnv, key: str) -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "call 123456789012345678901234567890"}],
            "max_tokens": 9223372036854775807}
    resp = post_raw(env, key, orjson.dumps(body))
    assert resp.status_code != 400 or "64-bit" not in resp.text, resp.text


def test_ten_thousand_character_model_name(env: RelayEnv, key: str) -> None:
    model = "m" * 10_000
    err = assert_400(post_raw(env, key, orjson.dumps({"model": model, "messages": MESSAGES})),
                     "invalid_model_name", not_echoed="m" * 65)
    assert "too long" in err["message"]
    assert env.fake.requests == []


@pytest.mark.parametrize("model", ["gpt-4o\x00", "gpt\x1b[2J-4o", "gpt-4o\n", "gpt-4o\x7f"])
def test_control_characters_in_model_name(env: RelayEnv, key: str, model: str) -> None:
    resp = post_raw(env, key, orjson.dumps({"model": model, "messages": MESSAGES}))
    err = assert_400(resp, "invalid_model_name")
    assert "control characters" in err["message"]
    assert "\\u0000" not in resp.text and "\\u001b" not in resp.text
    assert env.fake.requests == []


def test_model_name_in_the_engine_path_is_checked_too(env: RelayEnv, key: str) -> None:
    resp = post_raw(env, key, b'{"input": "hi"}', "/v1/engines/" + "e" * 300 + "/embeddings")
    assert_400(resp, "invalid_model_name", not_echoed="e" * 65)
    resp = post_raw(env, key, b'{"input": "hi"}', "/v1/engines/text%00embed/embeddings")
    assert_400(resp, "invalid_model_name")


def test_echoed_names_are_clipped(env: RelayEnv, key: str) -> None:
    """A name within the limits but without a channel: the 503 quotes at most 64 characters."""
    model = "n" * 200
    resp = post_raw(env, key, orjson.dumps({"model": model, "messages": MESSAGES}))
    assert resp.status_code in (500, 503), resp.text  # no price, or no channel: either way clipped
    assert "n" * 65 not in resp.text
    resp = httpx.get(env.url + "/v1/models/" + "q" * 5000, headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 404 and "q" * 65 not in resp.text
