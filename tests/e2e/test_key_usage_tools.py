"""The key-usage tools (`/v1/dashboard/billing/*`, `/api/usage/token`) and the console playground
(`/pg/chat/completions`), through the live gateway, on every database."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from backend.db import session_scope
from backend.models import Token
from backend.models.enums import TokenStatus
from backend.models.usage import Usage
from backend.services import sessions
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    make_channel,
    make_key,
    relay_env,
    set_option,
    user_row,
)

USER_QUOTA = 3_000_000
MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def env(storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def test_dashboard_billing_shows_the_key_in_dollars_and_cents(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    user, token, key = make_key(quota=USER_QUOTA, unlimited_quota=False, remain_quota=1_000_000)
    env.openai(key).chat.completions.create(model="gpt-4o", messages=MESSAGES)
    spent = expected_quota(user, "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    auth = {"Authorization": f"Bearer {key}"}
    for prefix in ("/v1", ""):
        sub = httpx.get(env.url + prefix + "/dashboard/billing/subscription", headers=auth).json()
        assert sub == {"object": "billing_subscription", "has_payment_method": True, "soft_limit_usd": 2.0,
                       "hard_limit_usd": 2.0, "system_hard_limit_usd": 2.0, "access_until": 0}
        used = httpx.get(env.url + prefix + "/dashboard/billing/usage", headers=auth).json()
        assert used == {"object": "list", "total_usage": pytest.approx(spent / 500_000 * 100)}

    set_option("DisplayInCurrencyEnabled", "false")
    set_option("DisplayTokenStatEnabled", "false")  # the user's figures, in quota units
    sub = httpx.get(env.url + "/v1/dashboard/billing/subscription", headers=auth).json()
    assert sub["hard_limit_usd"] == USER_QUOTA  # remain + used is what the user was given
    assert httpx.get(env.url + "/v1/dashboard/billing/usage", headers=auth).json()["total_usage"] == spent * 100

    _, _, unlimited = make_key(quota=USER_QUOTA)
    set_option("DisplayTokenStatEnabled", "true")
    sub = httpx.get(env.url + "/v1/dashboard/billing/subscription", headers={"Authorization": f"Bearer {unlimited}"})
    assert sub.json()["hard_limit_usd"] == 100_000_000
    bad = httpx.get(env.url + "/v1/dashboard/billing/usage", headers={"Authorization": "Bearer sk-nope"})
    assert bad.status_code == 401 and "error" in bad.json()


def test_api_usage_token_reads_any_known_key(env: RelayEnv) -> None:
    _, token, key = make_key(quota=USER_QUOTA, unlimited_quota=False, remain_quota=700,
                             model_limits_enabled=True, model_limits="gpt-4o,o3", expired_time=1_900_000_000)
    with session_scope() as s:
        s.get(Token, token.id).used_quota = 300
    resp = httpx.get(env.url + "/api/usage/token", headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 200
    assert resp.json() == {"code": True, "message": "ok", "data": {
        "object": "token_usage", "name": token.name, "total_granted": 1000, "total_used": 300,
        "total_available": 700, "unlimited_quota": False, "model_limits": {"gpt-4o": True, "o3": True},
        "model_limits_enabled": True, "expires_at": 1_900_000_000}}
    _, _, spent_key = make_key(status=int(TokenStatus.EXHAUSTED), unlimited_quota=False, remain_quota=0)
    assert httpx.get(env.url + "/api/usage/token/", headers={"Authorization": f"Bearer {spent_key}"}).status_code == 200
    for headers, message in (({}, "No Authorization header"), ({"Authorization": "sk-x"}, "Invalid Bearer token"),
                             ({"Authorization": "Bearer sk-unknown"}, "invalid API key")):
        resp = httpx.get(env.url + "/api/usage/token", headers=headers)
        assert (resp.status_code, resp.json()) == (401, {"success": False, "message": message})


def test_playground_spends_the_logged_in_users_quota(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o")
    user, _, _ = make_key(quota=USER_QUOTA)
    cookie = sessions.start(user.id)
    headers = {"New-Api-User": str(user.id), "Cookie": f"{sessions.COOKIE_NAME}={cookie}"}
    client = openai.OpenAI(api_key="unused", base_url=env.url + "/pg", default_headers=headers, max_retries=0)
    reply = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    stream = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ow.REPLY_TEXT
    flush()
    q = expected_quota(user, "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    rows = consume_logs(user.id)
    assert [(r.quota, r.token_id, r.token_name) for r in rows] == [(q, 0, ""), (q, 0, "")]
    assert user_row(user.id).quota == USER_QUOTA - 2 * q

    for bad in ({"New-Api-User": str(user.id)}, {**headers, "New-Api-User": str(user.id + 1)}):
        resp = httpx.post(env.url + "/pg/chat/completions", headers=bad, json={"model": "gpt-4o", "messages": MESSAGES})
        assert resp.status_code == 401 and "error" in resp.json()
    sessions.end(cookie)
    resp = httpx.post(env.url + "/pg/chat/completions", headers=headers, json={"model": "gpt-4o", "messages": MESSAGES})
    assert resp.status_code == 401
    flush()
    assert len(consume_logs(user.id)) == 2
