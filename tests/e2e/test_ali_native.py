"""Ali / DashScope channels (type 17) through real HTTP with the official SDKs: chat through the
compatible mode (DashScope's headers, `top_p` kept inside (0, 1)), Claude Messages through the
Anthropic-compatible endpoint, rerank through the native service, images as wanx jobs (submitted
async, polled until done, returned as OpenAI images, URLs or fetched bytes) and qwen-image at once;
every call billed exactly, a failed job or a refused key free."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import anthropic
import httpx
import openai
import orjson
import pytest

from backend.models.usage import Usage
from backend.relay.adaptors import ali
from tests.fakes import openai_wire as ow
from tests.fakes.dashscope import KEY, PNG, RERANK_TOKENS, FakeDashScope
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

RERANK, CHAT, WANX, QWEN_IMAGE = "gte-rerank", "qwen-plus", "wanx2.1-t2i-turbo", "qwen-image-plus"
IMAGE_PRICE = 0.04  # $ per image: 0.04 x 500000 quota


@pytest.fixture
def ali_env(sqlite_storage, monkeypatch) -> Iterator[tuple[RelayEnv, FakeDashScope]]:
    monkeypatch.setattr(ali, "TASK_FIRST_WAIT_S", 0.0)  # the fake's jobs finish on the second poll
    monkeypatch.setattr(ali, "TASK_POLL_EVERY_S", 0.0)
    with FakeDashScope() as ds, relay_env() as env:
        make_channel(ds.url, f"{RERANK},{CHAT},{WANX},{QWEN_IMAGE}", type_=17, key=KEY)
        set_option("ModelRatio", orjson.dumps({RERANK: 10, CHAT: 2}).decode())
        set_option("ModelPrice", orjson.dumps({WANX: IMAGE_PRICE, QWEN_IMAGE: IMAGE_PRICE}).decode())
        yield env, ds


def _quotas(user_id: int) -> list[tuple[str, int]]:
    flush()
    return [(r.model_name, r.quota) for r in consume_logs(user_id)]


def test_chat_through_compatible_mode_whole_and_streamed(ali_env) -> None:
    env, ds = ali_env
    user, _, key = make_key()
    client = env.openai(key)
    reply = client.chat.completions.create(model=CHAT, messages=[{"role": "user", "content": "hi"}], top_p=1)
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    stream = client.chat.completions.create(model=CHAT, messages=[{"role": "user", "content": "hi"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ow.REPLY_TEXT

    whole, streamed = ds.requests
    assert whole.path == streamed.path == "/compatible-mode/v1/chat/completions"
    assert whole.json["top_p"] == 0.999 and "x-dashscope-sse" not in whole.headers
    assert streamed.headers["x-dashscope-sse"] == "enable"
    charge = expected_quota(user_row(user.id), CHAT, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert _quotas(user.id) == [(CHAT, charge)] * 2


def test_claude_messages_go_to_the_anthropic_compatible_endpoint(ali_env) -> None:
    env, ds = ali_env
    user, _, key = make_key()
    claude = anthropic.Anthropic(api_key=key, base_url=env.url, max_retries=0)
    msg = claude.messages.create(model=CHAT, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text == ow.REPLY_TEXT
    [call] = ds.requests
    assert call.path == "/api/v2/apps/claude-code-proxy/v1/messages" and call.json["model"] == CHAT
    assert call.headers["authorization"] == f"Bearer {KEY}"
    charge = expected_quota(user_row(user.id), CHAT, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert _quotas(user.id) == [(CHAT, charge)]


def test_rerank_through_the_native_service(ali_env) -> None:
    env, ds = ali_env
    user, _, key = make_key()
    docs = ["short", {"text": "a much longer document"}]
    resp = httpx.post(env.url + "/v1/rerank", headers={"Authorization": f"Bearer {key}"},
                      json={"model": RERANK, "query": "q", "documents": docs, "top_n": 1})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "results": [{"index": 1, "relevance_score": 1.0, "document": {"text": "a much longer document"}}],
        "usage": {"prompt_tokens": RERANK_TOKENS, "completion_tokens": 0, "total_tokens": RERANK_TOKENS},
    }
    assert ds.requests[0].json == {"model": RERANK, "input": {"query": "q", "documents": ["short", "a much longer document"]},
                                   "parameters": {"return_documents": True, "top_n": 1}}
    assert _quotas(user.id) == [(RERANK, RERANK_TOKENS * 10)]


def test_wanx_image_job_is_submitted_polled_and_billed_per_image(ali_env) -> None:
    env, ds = ali_env
    user, _, key = make_key()
    images = env.openai(key).images.generate(model=WANX, prompt="a red fox", n=2, size="1024x1024")
    assert [i.url for i in images.data] == [f"{ds.url}/files/task-1-0.png", f"{ds.url}/files/task-1-1.png"]

    submit, first_poll, second_poll = ds.requests
    assert submit.path == "/api/v1/services/aigc/text2image/image-synthesis"
    assert submit.headers["x-dashscope-async"] == "enable"
    assert submit.json == {"model": WANX, "input": {"prompt": "a red fox"}, "parameters": {"n": 2, "size": "1024*1024"}}
    assert first_poll.path == second_poll.path == "/api/v1/tasks/task-1"
    assert first_poll.method == "GET" and first_poll.headers["authorization"] == f"Bearer {KEY}"
    assert _quotas(user.id) == [(WANX, int(IMAGE_PRICE * 500_000 * 2))]


def test_b64_json_callers_get_the_fetched_bytes(ali_env) -> None:
    env, ds = ali_env
    user, _, key = make_key()
    images = env.openai(key).images.generate(model=WANX, prompt="a fox", response_format="b64_json")
    assert [base64.b64decode(i.b64_json or "") for i in images.data] == [PNG]
    assert ds.requests[-1].path == "/files/task-1-0.png"
    assert _quotas(user.id) == [(WANX, int(IMAGE_PRICE * 500_000))]


def test_qwen_image_answers_at_once(ali_env) -> None:
    env, ds = ali_env
    user, _, key = make_key()
    images = env.openai(key).images.generate(model=QWEN_IMAGE, prompt="a fox")
    assert images.data[0].url and images.data[0].url.startswith(f"{ds.url}/files/qwen-")
    [call] = ds.requests
    assert call.path == "/api/v1/services/aigc/multimodal-generation/generation"
    assert "x-dashscope-async" not in call.headers
    assert call.json["input"] == {"messages": [{"role": "user", "content": [{"text": "a fox"}]}]}
    assert _quotas(user.id) == [(QWEN_IMAGE, int(IMAGE_PRICE * 500_000))]


def test_a_failed_image_job_is_the_callers_400_and_free(ali_env) -> None:
    env, _ = ali_env
    user, _, key = make_key()
    with pytest.raises(openai.BadRequestError) as info:
        env.openai(key).images.generate(model=WANX, prompt="something forbidden")
    assert "inappropriate content" in info.value.message
    assert info.value.body["code"] == "DataInspectionFailed"
    assert _quotas(user.id) == []


def test_a_refused_key_is_a_channel_failure_and_free(ali_env) -> None:
    env, ds = ali_env
    make_channel(ds.url, "gte-bad", type_=17, key="sk-wrong")
    set_option("ModelRatio", orjson.dumps({"gte-bad": 10}).decode())
    user, _, key = make_key()
    resp = httpx.post(env.url + "/v1/rerank", headers={"Authorization": f"Bearer {key}"},
                      json={"model": "gte-bad", "query": "q", "documents": ["d"]})
    assert resp.status_code == 502 and resp.json()["error"]["code"] == "channel_auth_failed"
    assert _quotas(user.id) == []
