"""Moderations, edits and rerank through the live gateway (SDK or plain HTTP), billed exactly."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import orjson
import pytest

from backend.relay import token_counter
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    flush,
    make_channel,
    make_key,
    relay_env,
    set_option,
)

USER_QUOTA = 3_000_000


@pytest.fixture
def env(storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def quotas(user_id: int) -> list[tuple[int, int]]:
    flush()
    return [(row.quota, row.prompt_tokens) for row in consume_logs(user_id)]


def test_moderations_default_model_and_local_count(env: RelayEnv) -> None:
    make_channel(env.fake.url, "text-moderation-stable,omni-moderation-latest")
    set_option("ModelRatio", orjson.dumps({"omni-moderation-latest": 10}).decode())
    user, _, key = make_key(quota=USER_QUOTA)
    client = env.openai(key)
    text = "I want to write a long friendly letter to my neighbour about the garden"
    out = client.moderations.create(model="omni-moderation-latest", input=[text, text])
    assert len(out.results) == 2 and out.results[0].flagged is False
    raw = httpx.post(env.url + "/v1/moderations", headers={"Authorization": f"Bearer {key}"}, json={"input": "hi"})
    assert raw.status_code == 200 and orjson.loads(env.fake.last.body)["model"] == "text-moderation-stable"
    tokens = token_counter.count_text("omni-moderation-latest", text) * 2
    assert quotas(user.id) == [(tokens * 10, tokens), (1, 1)]  # 0.1 x 1 token rounds to the minimum 1
    with pytest.raises(openai.BadRequestError):
        client.moderations.create(model="omni-moderation-latest", input="")
    assert len(quotas(user.id)) == 2


def test_edits_bill_the_upstream_usage(env: RelayEnv) -> None:
    make_channel(env.fake.url, "text-davinci-edit-001")
    set_option("ModelRatio", orjson.dumps({"text-davinci-edit-001": 10}).decode())
    user, _, key = make_key(quota=USER_QUOTA)
    resp = httpx.post(env.url + "/v1/edits", headers={"Authorization": f"Bearer {key}"},
                      json={"model": "text-davinci-edit-001", "input": "helo", "instruction": "fix the spelling"})
    assert resp.status_code == 200 and resp.json()["choices"][0]["text"] == ow.REPLY_TEXT
    assert quotas(user.id) == [((ow.PROMPT_TOKENS + ow.COMPLETION_TOKENS) * 10, ow.PROMPT_TOKENS)]


def test_rerank_in_jina_and_cohere_shapes(env: RelayEnv) -> None:
    make_channel(env.fake.url, "jina-reranker-v2", type_=38)
    make_channel(env.fake.url, "rerank-v3.5", type_=34)
    set_option("ModelRatio", orjson.dumps({"jina-reranker-v2": 10, "rerank-v3.5": 10}).decode())
    user, _, key = make_key(quota=USER_QUOTA)
    auth = {"Authorization": f"Bearer {key}"}
    docs = ["Paris is the capital of France", {"text": "Berlin is in Germany"}]
    jina = httpx.post(env.url + "/v1/rerank", headers=auth,
                      json={"model": "jina-reranker-v2", "query": "capital of France", "documents": docs, "top_n": 1})
    assert jina.status_code == 200, jina.text
    assert [r["index"] for r in jina.json()["results"]] == [0] and env.fake.last.path == "/v1/rerank"
    cohere = httpx.post(env.url + "/v1/rerank", headers=auth,
                        json={"model": "rerank-v3.5", "query": "capital of France", "documents": docs})
    assert cohere.status_code == 200, cohere.text
    assert "meta" in cohere.json() and env.fake.last.path == "/v2/rerank"
    counted = token_counter.count_text("rerank-v3.5", "capital of France" + docs[0] + docs[1]["text"])
    # Jina reports its tokens; Cohere bills search units, so the query and documents are counted
    assert quotas(user.id) == [(ow.PROMPT_TOKENS * 10, ow.PROMPT_TOKENS), (counted * 10, counted)]
    bad = httpx.post(env.url + "/v1/rerank", headers=auth, json={"model": "rerank-v3.5", "query": "q", "documents": []})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
    assert len(quotas(user.id)) == 2
