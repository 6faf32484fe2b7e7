"""The relay's failure paths through the live gateway, on every database: what a caller sees of
an upstream's leaky 401, how a stream the upstream cut short ends, and what a client that leaves
before the upstream answers is charged."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import openai
import orjson
import pytest
from sqlmodel import Session, select

from backend.db import get_log_engine
from backend.models import Log
from backend.models.enums import LogType, Role
from backend.models.usage import Usage
from backend.relay import token_counter
from backend.relay.errors import CHANNEL_AUTH_MESSAGE
from backend.services import log_queries
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    log_other,
    make_channel,
    make_key,
    relay_env,
    set_option,
    token_row,
    user_row,
    wait_until,
)

MESSAGES = [{"role": "user", "content": "Say hello"}]
BODY = {"model": "gpt-4o", "messages": MESSAGES}
USER_QUOTA = 3_000_000  # below the $10 trust line: every call reserves quota first
TOKEN_QUOTA = 2_000_000
CHANNEL_KEY = "sk-chan" + "Q7w8E9r0T1y2U3i4O5p6A7s8D9f0G1h2"
CLAUDE_MODEL = "claude-3-5-sonnet-20241022"


@pytest.fixture
def env(storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def limited_key(**kw: object) -> tuple:
    return make_key(quota=USER_QUOTA, unlimited_quota=False, remain_quota=TOKEN_QUOTA, **kw)


def balances(user_id: int, token_id: int) -> tuple[int, int, int, int, int]:
    u, t = user_row(user_id), token_row(token_id)
    return u.quota, u.used_quota, u.request_count, t.remain_quota, t.used_quota


def error_logs(user_id: int) -> list[Log]:
    with Session(get_log_engine()) as s:
        return list(s.exec(select(Log).where(Log.user_id == user_id, Log.type == int(LogType.ERROR))
                           .order_by(Log.id)).all())


def stream_lines(env: RelayEnv, key: str, body: dict) -> list[str]:
    with httpx.stream("POST", env.url + "/v1/chat/completions", json=body, timeout=60,
                      headers={"Authorization": f"Bearer {key}"}) as resp:
        assert resp.status_code == 200
        return [line for line in resp.iter_lines() if line]


# -- 6: upstream error text ------------------------------------------------------------------------


def _leaks(text: str) -> list[str]:
    return [s for s in (CHANNEL_KEY, CHANNEL_KEY[3:], "10.1.2.3", "10.1.2.4", "/internal/", "8080") if s in text]


def test_upstream_401_shows_the_caller_neither_key_nor_address(env: RelayEnv) -> None:
    set_option("ErrorLogEnabled", "true")
    make_channel(env.fake.url, "gpt-4o", key=CHANNEL_KEY, model_mapping={"gpt-4o": "fail-401-leaky"})
    user, token, key = limited_key()
    resp = httpx.post(env.url + "/v1/chat/completions", json=BODY, headers={"Authorization": f"Bearer {key}"})
    assert env.fake.last.headers["authorization"] == f"Bearer {CHANNEL_KEY}"  # the fake did quote it back
    assert resp.status_code == 502, resp.text
    err = resp.json()["error"]
    assert err["code"] == "channel_auth_failed" and err["message"].startswith(CHANNEL_AUTH_MESSAGE)
    assert _leaks(resp.text) == []
    # The SDK must not tell the caller their own key is wrong.
    with pytest.raises(openai.InternalServerError) as info:
        env.openai(key).chat.completions.create(**BODY)
    assert not isinstance(info.value, openai.AuthenticationError) and _leaks(str(info.value.body)) == []

    flush()
    assert balances(user.id, token.id) == (USER_QUOTA, 0, 0, TOKEN_QUOTA, 0) and consume_logs(user.id) == []
    wait_until(lambda: len(error_logs(user.id)) == 2, "the error log rows")
    row = error_logs(user.id)[0]
    assert _leaks(row.content or "") == [] and (row.content or "").startswith(CHANNEL_AUTH_MESSAGE)
    raw = log_other(row)["admin_info"]["upstream_error"]
    assert "Incorrect API key provided" in raw and "10.1.2.3:8080/internal/" in raw  # the operator's view
    assert CHANNEL_KEY not in raw and CHANNEL_KEY[3:] not in raw  # but never the key
    assert "upstream_error" not in log_queries.view(row, admin=False).other  # a user's own log view
    assert "upstream_error" in log_queries.view(row, admin=True).other


def test_admins_see_the_upstreams_words_but_never_the_channel_key(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o", key=CHANNEL_KEY, model_mapping={"gpt-4o": "fail-401-leaky"})
    _, _, key = make_key(role=Role.ADMIN)
    resp = httpx.post(env.url + "/v1/chat/completions", json=BODY, headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 502
    message = resp.json()["error"]["message"]
    assert "Incorrect API key provided" in message and "10.1.2.3:8080" in message
    assert CHANNEL_KEY not in resp.text and CHANNEL_KEY[3:] not in resp.text


def test_other_upstream_errors_keep_their_status_and_lose_their_secrets(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o", key=CHANNEL_KEY, model_mapping={"gpt-4o": "fail-500-leaky"})
    _, _, key = limited_key()
    resp = httpx.post(env.url + "/v1/chat/completions", json=BODY, headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 500
    assert resp.json()["error"]["message"].startswith("Incorrect API key provided: Bearer ***")
    assert _leaks(resp.text) == []


# -- 10: a stream the upstream cut short -----------------------------------------------------------


def _settled(user_id: int, n: int) -> bool:
    flush()  # counters first: a flush may land the log row before the ledger delta
    return user_row(user_id).request_count == n and len(consume_logs(user_id)) == n


def test_openai_stream_cut_short_ends_with_an_error_and_no_done(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o", model_mapping={"gpt-4o": "cut-stream"})
    user, token, key = limited_key()
    lines = stream_lines(env, key, {**BODY, "stream": True})
    assert "data: [DONE]" not in lines
    assert orjson.loads(lines[1][6:])["choices"][0]["delta"]["content"] == ow.REPLY_PIECES[0]
    assert orjson.loads(lines[-1][6:])["error"]["code"] == "stream_interrupted"
    with pytest.raises(openai.APIError):  # the SDK raises instead of returning a short reply as whole
        for _ in env.openai(key).chat.completions.create(**BODY, stream=True):
            pass

    wait_until(lambda: _settled(user.id, 2), "both cut streams to be settled")
    prompt = token_counter.count_chat_request("gpt-4o", BODY)
    produced = token_counter.count_text("gpt-4o", ow.REPLY_PIECES[0])
    q = expected_quota(user, "gpt-4o", Usage(prompt, produced))
    assert [(r.completion_tokens, r.quota) for r in consume_logs(user.id)] == [(produced, q)] * 2
    assert balances(user.id, token.id) == (USER_QUOTA - 2 * q, 2 * q, 2, TOKEN_QUOTA - 2 * q, 2 * q)


def test_anthropic_stream_cut_before_message_stop_ends_with_an_error(env: RelayEnv) -> None:
    make_channel(env.fake.url, CLAUDE_MODEL, type_=14, key="sk-ant-fake", model_mapping={CLAUDE_MODEL: "cut-stream"})
    user, token, key = limited_key()
    body = {"model": CLAUDE_MODEL, "messages": MESSAGES, "max_tokens": 100, "stream": True}
    lines = stream_lines(env, key, body)
    assert "data: [DONE]" not in lines
    assert orjson.loads(lines[-1][6:])["error"]["code"] == "stream_interrupted"
    assert any(ow.REPLY_PIECES[0] in line for line in lines[:-1])

    wait_until(lambda: _settled(user.id, 1), "the cut stream to be settled")
    # message_start reported the prompt and one output token: that much was produced and is billed
    q = expected_quota(user, CLAUDE_MODEL, Usage(ow.PROMPT_TOKENS, 1, semantics="anthropic"))
    [row] = consume_logs(user.id)
    assert (row.prompt_tokens, row.completion_tokens, row.quota) == (ow.PROMPT_TOKENS, 1, q)
    assert balances(user.id, token.id) == (USER_QUOTA - q, q, 1, TOKEN_QUOTA - q, q)


def test_complete_streams_still_end_with_one_done(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    make_channel(env.fake.url, CLAUDE_MODEL, type_=14, key="sk-ant-fake")
    _, _, key = limited_key()
    for model in ("gpt-4o", CLAUDE_MODEL):
        lines = stream_lines(env, key, {"model": model, "messages": MESSAGES, "max_tokens": 100, "stream": True})
        assert lines[-1] == "data: [DONE]" and lines.count("data: [DONE]") == 1, model
        assert not any('"error"' in line for line in lines), model


# -- 11: a client that leaves before the upstream answers -----------------------------------------


def _send_and_abandon(env: RelayEnv, key: str, body: dict) -> None:
    """Send a whole request on a raw socket, wait until the upstream has it, then hang up."""
    url = urlsplit(env.url)
    raw = orjson.dumps(body)
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(raw)}\r\n\r\n").encode()
    before = len(env.fake.requests)
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head + raw)
        wait_until(lambda: len(env.fake.requests) > before, "the upstream to receive the call")


@pytest.mark.parametrize("stream", [False, True])
def test_client_leaving_before_the_upstream_answers_is_not_charged(env: RelayEnv, stream: bool) -> None:
    set_option("ErrorLogEnabled", "true")
    make_channel(env.fake.url, "gpt-4o", model_mapping={"gpt-4o": "hang"})  # answers nothing, ever
    user, token, key = limited_key()
    _send_and_abandon(env, key, {**BODY, "stream": stream})
    wait_until(lambda: env.probe.disconnects == 1, "the gateway to cancel its upstream call")
    wait_until(lambda: bool(error_logs(user.id)), "the refund's error log row")
    [row] = error_logs(user.id)
    assert log_other(row)["status_code"] == 499 and "closed the connection" in (row.content or "")
    flush()
    assert consume_logs(user.id) == []
    assert balances(user.id, token.id) == (USER_QUOTA, 0, 0, TOKEN_QUOTA, 0)
