"""Vertex AI channels (type 41) through real HTTP with the official SDKs: the service-account key
buys an access token at the (fake) token endpoint, once, and Gemini and Claude models reach their
publisher endpoints in the channel's region, stream and not, billed exactly; a refused token
exchange is the channel's failure, not the caller's, and costs nothing. Express mode (an API key)
reaches the project-less URLs with `?key=`; embeddings (OpenAI's and Gemini's) and Imagen go
through `predict`, billed from Vertex's token statistics and per image."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import orjson
import pytest
from google import genai
from google.genai import types

from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.fakes.vertex import EMBED_TOKENS, EXPRESS_KEY, IMAGE_B64, PROJECT, FakeVertex
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

GEMINI, CLAUDE = "gemini-2.5-flash", "claude-sonnet-4-20250514"
EMBED, IMAGEN = "text-embedding-005", "imagen-3.0-generate-002"
LLAMA = "meta/llama-3.3-70b-instruct-maas"
REGION = "us-east5"


@pytest.fixture
def vertex(sqlite_storage) -> Iterator[tuple[RelayEnv, FakeVertex]]:
    with FakeVertex() as vx, relay_env() as env:
        make_channel(vx.url, f"{GEMINI},{CLAUDE}", type_=41, key=vx.service_account(), other=REGION)
        yield env, vx


def _billed(user_id: int, model: str, n: int = 1) -> None:
    flush()
    q = expected_quota(user_row(user_id), model, Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))
    assert [(r.model_name, r.quota) for r in consume_logs(user_id)] == [(model, q)] * n


def test_gemini_on_vertex_chat_and_stream_share_one_token(vertex) -> None:
    env, vx = vertex
    user, _, key = make_key()
    client = env.openai(key)
    reply = client.chat.completions.create(model=GEMINI, messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    stream = client.chat.completions.create(model=GEMINI, messages=[{"role": "user", "content": "hi"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ow.REPLY_TEXT

    base = f"/v1/projects/{PROJECT}/locations/{REGION}/publishers/google/models/{GEMINI}"
    assert [r.path for r in vx.requests] == [f"{base}:generateContent", f"{base}:streamGenerateContent"]
    assert vx.requests[1].query == {"alt": "sse"}
    assert vx.exchanges == 1  # the token was cached for the second call
    assert vx.requests[0].headers["authorization"] == vx.requests[1].headers["authorization"] == "Bearer ya29.fake-1"
    _billed(user.id, GEMINI, 2)


def test_claude_on_vertex_through_openai_and_anthropic_sdks(vertex) -> None:
    env, vx = vertex
    user, _, key = make_key()
    stream = env.openai(key).chat.completions.create(
        model=CLAUDE, messages=[{"role": "user", "content": "hi"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ow.REPLY_TEXT
    claude = anthropic.Anthropic(api_key=key, base_url=env.url, max_retries=0)
    msg = claude.messages.create(model=CLAUDE, max_tokens=64, messages=[{"role": "user", "content": "hi"}])
    assert msg.content[0].text == ow.REPLY_TEXT

    base = f"/v1/projects/{PROJECT}/locations/{REGION}/publishers/anthropic/models/claude-sonnet-4@20250514"
    assert [r.path for r in vx.requests] == [f"{base}:streamRawPredict", f"{base}:rawPredict"]
    assert all("model" not in r.json and r.json["anthropic_version"] == "vertex-2023-10-16" for r in vx.requests)
    assert "x-api-key" not in vx.requests[0].headers
    _billed(user.id, CLAUDE, 2)


def test_a_refused_token_exchange_is_a_channel_failure_and_free(vertex) -> None:
    env, vx = vertex
    vx.refuse_tokens = True
    user, _, key = make_key()
    with pytest.raises(openai.APIStatusError) as info:
        env.openai(key).chat.completions.create(model=GEMINI, messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 502
    assert info.value.body["code"] == "channel_auth_failed"
    assert vx.requests == []
    flush()
    assert consume_logs(user.id) == []


@pytest.fixture
def express(sqlite_storage) -> Iterator[tuple[RelayEnv, FakeVertex]]:
    with FakeVertex() as vx, relay_env() as env:
        make_channel(vx.url, f"{GEMINI},{EMBED},{CLAUDE}", type_=41, key=EXPRESS_KEY, other="global",
                     settings=orjson.dumps({"vertex_key_type": "api_key"}).decode())
        yield env, vx


def _genai(env: RelayEnv, key: str) -> genai.Client:
    return genai.Client(api_key=key, http_options=types.HttpOptions(base_url=env.url, api_version="v1beta"))


def test_express_mode_puts_the_api_key_in_the_query(express) -> None:
    env, vx = express
    user, _, key = make_key()
    reply = env.openai(key).chat.completions.create(model=GEMINI, messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    gemini = _genai(env, key)  # kept: a collected client closes under its stream
    streamed = gemini.models.generate_content_stream(model=GEMINI, contents="hi")
    assert "".join(chunk.text or "" for chunk in streamed) == ow.REPLY_TEXT

    base = f"/v1/publishers/google/models/{GEMINI}"
    assert [r.path for r in vx.requests] == [f"{base}:generateContent", f"{base}:streamGenerateContent"]
    assert vx.requests[0].query == {"key": EXPRESS_KEY}
    assert vx.requests[1].query == {"alt": "sse", "key": EXPRESS_KEY}
    assert vx.exchanges == 0 and all("authorization" not in r.headers for r in vx.requests)
    _billed(user.id, GEMINI, 2)


def test_express_mode_refuses_claude_for_free(express) -> None:
    env, vx = express
    user, _, key = make_key()
    with pytest.raises(openai.InternalServerError) as info:
        env.openai(key).chat.completions.create(model=CLAUDE, messages=[{"role": "user", "content": "hi"}])
    assert info.value.body["code"] == "channel_config_invalid"
    assert vx.requests == []
    flush()
    assert consume_logs(user.id) == []


def test_embeddings_through_predict_openai_and_gemini_shapes(express) -> None:
    env, vx = express
    set_option("ModelRatio", orjson.dumps({EMBED: 0.05}).decode())
    user, _, key = make_key()
    out = env.openai(key).embeddings.create(model=EMBED, input=["one", "two"], dimensions=2)
    assert [d.embedding for d in out.data] == [ow.EMBEDDING[:2]] * 2
    assert out.usage.prompt_tokens == 2 * EMBED_TOKENS
    gemini = _genai(env, key)
    native = gemini.models.embed_content(
        model=EMBED, contents="three", config=types.EmbedContentConfig(task_type="RETRIEVAL_QUERY"))
    assert [e.values for e in native.embeddings] == [ow.EMBEDDING]

    first, second = vx.requests
    assert first.path == second.path == f"/v1/publishers/google/models/{EMBED}:predict"
    assert first.json == {"instances": [{"content": "one"}, {"content": "two"}],
                          "parameters": {"autoTruncate": True, "outputDimensionality": 2}}
    assert second.json["instances"] == [{"content": "three", "task_type": "RETRIEVAL_QUERY"}]
    flush()
    charges = [expected_quota(user_row(user.id), EMBED, Usage(n * EMBED_TOKENS, 0)) for n in (2, 1)]
    assert [(r.model_name, r.quota, r.prompt_tokens) for r in consume_logs(user.id)] == [
        (EMBED, charges[0], 2 * EMBED_TOKENS), (EMBED, charges[1], EMBED_TOKENS)]


def test_imagen_through_predict_billed_per_image(vertex) -> None:
    env, vx = vertex
    make_channel(vx.url, IMAGEN, type_=41, key=vx.service_account(), other=REGION)
    set_option("ModelPrice", orjson.dumps({IMAGEN: 0.04}).decode())
    user, _, key = make_key()
    images = env.openai(key).images.generate(model=IMAGEN, prompt="a red fox", n=2, size="1792x1024")
    assert [i.b64_json for i in images.data] == [IMAGE_B64] * 2
    [call] = vx.requests
    assert call.path == f"/v1/projects/{PROJECT}/locations/{REGION}/publishers/google/models/{IMAGEN}:predict"
    assert call.json == {"instances": [{"prompt": "a red fox"}], "parameters": {"sampleCount": 2, "aspectRatio": "16:9"}}
    flush()
    assert [(r.model_name, r.quota) for r in consume_logs(user.id)] == [(IMAGEN, int(0.04 * 500_000 * 2))]


def test_open_models_through_the_openai_compatible_endpoint(vertex) -> None:
    env, vx = vertex
    make_channel(vx.url, LLAMA, type_=41, key=vx.service_account(), other=REGION)
    set_option("ModelRatio", orjson.dumps({LLAMA: 1}).decode())
    user, _, key = make_key()
    client = env.openai(key)
    reply = client.chat.completions.create(model=LLAMA, messages=[{"role": "user", "content": "hi"}])
    assert reply.choices[0].message.content == ow.REPLY_TEXT
    stream = client.chat.completions.create(model=LLAMA, messages=[{"role": "user", "content": "hi"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == ow.REPLY_TEXT
    path = f"/v1beta1/projects/{PROJECT}/locations/{REGION}/endpoints/openapi/chat/completions"
    assert [r.path for r in vx.requests] == [path, path]
    assert vx.requests[0].json["model"] == LLAMA and vx.requests[1].json["stream_options"] == {"include_usage": True}
    _billed(user.id, LLAMA, 2)
