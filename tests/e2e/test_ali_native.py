"""Ali / DashScope channels (type 17): rerank goes to DashScope's native text-rerank service
(Jina-shaped body converted, documents as text), the reply comes back in new-api's rerank shape,
billed from DashScope's token count."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.fakes.dashscope import KEY, RERANK_TOKENS, FakeDashScope
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    flush,
    make_channel,
    make_key,
    relay_env,
    set_option,
)

MODEL = "gte-rerank"


@pytest.fixture
def ali(sqlite_storage) -> Iterator[tuple[RelayEnv, FakeDashScope]]:
    with FakeDashScope() as ds, relay_env() as env:
        make_channel(ds.url, MODEL, type_=17, key=KEY)
        set_option("ModelRatio", orjson.dumps({MODEL: 10}).decode())
        yield env, ds


def test_rerank_through_the_native_service(ali) -> None:
    env, ds = ali
    user, _, key = make_key()
    docs = ["short", {"text": "a much longer document"}]
    resp = httpx.post(env.url + "/v1/rerank", headers={"Authorization": f"Bearer {key}"},
                      json={"model": MODEL, "query": "q", "documents": docs, "top_n": 1})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "results": [{"index": 1, "relevance_score": 1.0, "document": {"text": "a much longer document"}}],
        "usage": {"prompt_tokens": RERANK_TOKENS, "completion_tokens": 0, "total_tokens": RERANK_TOKENS},
    }
    assert ds.requests[0].json == {"model": MODEL, "input": {"query": "q", "documents": ["short", "a much longer document"]},
                                   "parameters": {"return_documents": True, "top_n": 1}}
    flush()
    assert [(r.quota, r.prompt_tokens) for r in consume_logs(user.id)] == [(RERANK_TOKENS * 10, RERANK_TOKENS)]


def test_a_refused_key_is_a_channel_failure_and_free(ali) -> None:
    env, ds = ali
    make_channel(ds.url, "gte-bad", type_=17, key="sk-wrong")
    set_option("ModelRatio", orjson.dumps({"gte-bad": 10}).decode())
    user, _, key = make_key()
    resp = httpx.post(env.url + "/v1/rerank", headers={"Authorization": f"Bearer {key}"},
                      json={"model": "gte-bad", "query": "q", "documents": ["d"]})
    assert resp.status_code == 502 and resp.json()["error"]["code"] == "channel_auth_failed"
    flush()
    assert consume_logs(user.id) == []
