"""Upstream request building per channel type: URL, headers, overrides, body rules (reference §5, §9)."""

from __future__ import annotations

import orjson
import pytest

from backend.config import reset_settings
from backend.relay.adaptors import AdaptorError, RelayFormat, get_adaptor_class
from backend.relay.adaptors.anthropic import AnthropicAdaptor
from backend.relay.adaptors.ollama import OllamaAdaptor
from backend.relay.adaptors.openai import AzureAdaptor, CustomAdaptor, OpenAIAdaptor
from tests.relay.adaptors.adaptor_helpers import adaptor, channel, meta

F = RelayFormat
CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def body_of(req) -> dict:
    return orjson.loads(req.body)


@pytest.mark.parametrize(
    ("type_id", "base", "fmt", "url"),
    [
        (1, "", F.OPENAI_CHAT, "https://api.openai.com/v1/chat/completions"),
        (1, "https://proxy.example/", F.OPENAI_EMBEDDINGS, "https://proxy.example/v1/embeddings"),
        (1, "https://proxy.example/v1", F.OPENAI_CHAT, "https://proxy.example/v1/chat/completions"),
        (43, "", F.OPENAI_CHAT, "https://api.deepseek.com/v1/chat/completions"),
        (20, "", F.OPENAI_CHAT, "https://openrouter.ai/api/v1/chat/completions"),
        (40, "", F.OPENAI_CHAT, "https://api.siliconflow.cn/v1/chat/completions"),
        (48, "", F.OPENAI_CHAT, "https://api.x.ai/v1/chat/completions"),
        (42, "", F.OPENAI_CHAT, "https://api.mistral.ai/v1/chat/completions"),
        (25, "", F.OPENAI_CHAT, "https://api.moonshot.cn/v1/chat/completions"),
        (27, "", F.OPENAI_CHAT, "https://api.perplexity.ai/chat/completions"),
        (26, "", F.OPENAI_CHAT, "https://open.bigmodel.cn/api/paas/v4/chat/completions"),
        (45, "", F.OPENAI_CHAT, "https://ark.cn-beijing.volces.com/api/v3/chat/completions"),
        (4, "", F.OPENAI_CHAT, "http://localhost:11434/v1/chat/completions"),
        (4, "http://gpu:11434", F.OPENAI_EMBEDDINGS, "http://gpu:11434/api/embed"),
        (999, "https://new.example", F.OPENAI_CHAT, "https://new.example/v1/chat/completions"),
        (
            1,
            "https://gateway.ai.cloudflare.com/v1/acc/gw/openai",
            F.OPENAI_CHAT,
            "https://gateway.ai.cloudflare.com/v1/acc/gw/openai/chat/completions",
        ),
        (14, "", F.CLAUDE_MESSAGES, "https://api.anthropic.com/v1/messages"),
        (14, "https://claude.proxy/v1", F.OPENAI_CHAT, "https://claude.proxy/v1/messages"),
        (1, "", F.OPENAI_RESPONSES, "https://api.openai.com/v1/responses"),
        (1, "", F.CLAUDE_MESSAGES, "https://api.openai.com/v1/chat/completions"),
    ],
)
def test_urls(type_id, base, fmt, url, sqlite_storage):
    req = adaptor(channel(type_id, base), meta(fmt, "gpt-4o")).build_request(
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "input": "x", "max_tokens": 5}
    )
    assert req.url == url
    assert req.method == "POST"


def test_compact_responses_path():
    m = meta(F.OPENAI_RESPONSES, path="/v1/responses/compact")
    assert adaptor(channel(1), m).build_request({"model": "gpt-4o", "input": "x"}).url == (
        "https://api.openai.com/v1/responses/compact"
    )


def test_family_registry():
    assert get_adaptor_class(1) is OpenAIAdaptor
    assert get_adaptor_class(3) is AzureAdaptor
    assert get_adaptor_class(8) is CustomAdaptor
    assert get_adaptor_class(4) is OllamaAdaptor
    assert get_adaptor_class(14) is AnthropicAdaptor
    assert get_adaptor_class(43) is OpenAIAdaptor
    assert get_adaptor_class(12345) is OpenAIAdaptor  # unmapped types speak OpenAI
    with pytest.raises(AdaptorError) as info:
        get_adaptor_class(2)  # Midjourney proxy
    assert info.value.status_code == 500
    assert info.value.code == "channel_type_not_supported"


def test_openai_headers_and_organization():
    req = adaptor(channel(1, openai_organization="org-1"), meta(stream=True)).build_request(
        {**CHAT, "stream": True}
    )
    assert req.headers["Authorization"] == "Bearer sk-chan"
    assert req.headers["OpenAI-Organization"] == "org-1"
    assert req.headers["Content-Type"] == "application/json"
    assert req.headers["Accept"] == "text/event-stream"
    assert req.stream is True


def test_openrouter_attribution_headers(sqlite_storage):
    req = adaptor(channel(20)).build_request(CHAT)
    assert req.headers["HTTP-Referer"] == "http://localhost:3000"
    assert req.headers["X-Title"] == "New API"


def test_missing_base_url_is_a_local_error():
    with pytest.raises(AdaptorError) as info:
        adaptor(channel(47)).build_request(CHAT)  # Xinference has no default base URL
    assert info.value.code == "channel_base_url_missing"


# -- Azure ---------------------------------------------------------------------------------------


def test_azure_deployment_url_and_api_key_header():
    a = adaptor(channel(3, "https://res.openai.azure.com/"), meta(model="gpt-3.5-turbo"))
    req = a.build_request({**CHAT, "model": "gpt-3.5-turbo"})
    assert req.url == (
        "https://res.openai.azure.com/openai/deployments/gpt-35-turbo/chat/completions?api-version=2025-04-01-preview"
    )
    assert req.headers["api-key"] == "sk-chan"
    assert "Authorization" not in req.headers


def test_azure_api_version_precedence(monkeypatch):
    ch = channel(3, "https://res.openai.azure.com", other="2024-10-21")
    assert "api-version=2024-10-21" in adaptor(ch).build_request(CHAT).url
    client = meta(query={"api-version": "2025-01-01-preview"})
    assert "api-version=2025-01-01-preview" in adaptor(ch, client).build_request(CHAT).url
    monkeypatch.setenv("AZURE_DEFAULT_API_VERSION", "2099-01-01")
    reset_settings()
    try:
        assert "api-version=2099-01-01" in adaptor(channel(3, "https://r.azure.com")).build_request(CHAT).url
    finally:
        monkeypatch.delenv("AZURE_DEFAULT_API_VERSION")
        reset_settings()


def test_azure_embeddings_and_responses_paths():
    ch = channel(3, "https://r.azure.com", other="v1")
    emb = adaptor(ch, meta(F.OPENAI_EMBEDDINGS, "text-embedding-3-small")).build_request({"input": "x"})
    assert (
        emb.url == "https://r.azure.com/openai/deployments/text-embedding-3-small/embeddings?api-version=v1"
    )
    resp = adaptor(ch, meta(F.OPENAI_RESPONSES)).build_request({"model": "gpt-4o", "input": "x"})
    assert resp.url == "https://r.azure.com/openai/responses?api-version=v1"


# -- Custom --------------------------------------------------------------------------------------


def test_custom_full_url_with_model():
    ch = channel(8, "https://host/deploy/{model}/chat")
    req = adaptor(ch, meta(model="alias", upstream="llama-3")).build_request({**CHAT, "model": "alias"})
    assert req.url == "https://host/deploy/llama-3/chat"
    assert body_of(req)["model"] == "llama-3"
    assert req.headers["Authorization"] == "Bearer sk-chan"


# -- overrides -----------------------------------------------------------------------------------


def test_param_override_applies_after_conversion(sqlite_storage):
    ch = channel(14, param_override={"max_tokens": 99, "top_k": 3, "model": "claude-forced"})
    body = body_of(adaptor(ch, meta(model="claude-x")).build_request({**CHAT, "model": "claude-x"}))
    assert body["max_tokens"] == 99  # converted default (8192) overwritten
    assert body["top_k"] == 3
    assert body["model"] == "claude-forced"
    assert body["messages"] == [{"role": "user", "content": "hi"}]


def test_header_override_placeholders():
    ch = channel(
        1,
        header_override={
            "X-Key": "k={api_key}",
            "X-Trace": "{client_header:X-Request-Trace}",
            "X-Missing": "[{client_header:x-absent}]",
            "authorization": "Token {api_key}",
        },
    )
    req = adaptor(ch, meta(client_headers={"x-request-trace": "abc"})).build_request(CHAT)
    assert req.headers["X-Key"] == "k=sk-chan"
    assert req.headers["X-Trace"] == "abc"
    assert req.headers["X-Missing"] == "[]"
    assert req.headers["authorization"] == "Token sk-chan"
    assert "Authorization" not in req.headers  # replaced, not sent twice


def test_proxy_setting_is_carried():
    assert adaptor(channel(1, setting={"proxy": "socks5://127.0.0.1:1080"})).build_request(CHAT).proxy == (
        "socks5://127.0.0.1:1080"
    )
    assert adaptor(channel(1)).build_request(CHAT).proxy is None


def test_unsupported_format_is_a_local_400(sqlite_storage):
    with pytest.raises(AdaptorError) as info:
        adaptor(channel(14), meta(F.OPENAI_EMBEDDINGS)).build_request({"input": "x"})
    assert info.value.status_code == 400


def test_input_body_is_not_mutated():
    body = {
        "model": "o1-high",
        "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}],
        "max_tokens": 5,
        "temperature": 0.1,
        "stream": True,
    }
    snapshot = repr(body)
    adaptor(channel(1), meta(model="o1-high", stream=True)).build_request(body)
    assert repr(body) == snapshot


def test_param_override_operations_and_failure():
    ops = {
        "operations": [
            {"path": "messages", "mode": "prepend", "value": [{"role": "system", "content": "be nice"}]}
        ]
    }
    body = body_of(adaptor(channel(1, param_override=ops)).build_request(CHAT))
    assert body["messages"][0] == {"role": "system", "content": "be nice"}
    broken = {"operations": [{"path": "model", "mode": "append", "value": 5}]}
    with pytest.raises(AdaptorError) as info:
        adaptor(channel(1, param_override=broken)).build_request(CHAT)
    assert (info.value.status_code, info.value.code) == (500, "param_override_failed")


def test_channel_system_prompt_lands_in_the_upstream_format(sqlite_storage):
    setting = {"system_prompt": "Be terse.", "system_prompt_override": True}
    openai_body = body_of(adaptor(channel(1, setting=setting)).build_request(CHAT))
    assert openai_body["messages"][0] == {"role": "system", "content": "Be terse."}
    claude_body = body_of(adaptor(channel(14, setting=setting), meta(model="claude-x")).build_request(
        {"model": "claude-x", "messages": [{"role": "system", "content": "Mine."}, {"role": "user", "content": "hi"}]}
    ))  # fmt: skip
    assert claude_body["system"] == "Be terse.\nMine."


def test_cloudflare_account_urls():
    ch = channel(39, other="acc123")
    assert adaptor(ch).build_request(CHAT).url == (
        "https://api.cloudflare.com/client/v4/accounts/acc123/ai/v1/chat/completions"
    )
    emb = adaptor(ch, meta(F.OPENAI_EMBEDDINGS, "@cf/baai/bge-base-en-v1.5")).build_request({"input": "x"})
    assert emb.url == "https://api.cloudflare.com/client/v4/accounts/acc123/ai/v1/embeddings"
    with pytest.raises(AdaptorError) as info:
        adaptor(channel(39)).build_request(CHAT)
    assert info.value.code == "channel_config_invalid"


def test_cohere_compat_and_rerank_urls():
    assert (
        adaptor(channel(34)).build_request(CHAT).url
        == "https://api.cohere.ai/compatibility/v1/chat/completions"
    )
    rerank = adaptor(channel(34), meta(F.RERANK, "rerank-v3.5")).build_request(
        {"model": "rerank-v3.5", "query": "q", "documents": ["a"]}
    )
    assert rerank.url == "https://api.cohere.ai/v2/rerank"
    out = adaptor(channel(34), meta(F.RERANK, "rerank-v3.5")).parse_response(
        b'{"results":[{"index":0,"relevance_score":0.9}],"meta":{"billed_units":{"search_units":1}}}'
    )
    assert out.usage is None  # search units are not tokens: the pipeline counts query + documents


CHAT_LIKE = {
    F.OPENAI_CHAT: CHAT,
    F.CLAUDE_MESSAGES: {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]},
    F.GEMINI: {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
}
UPSTREAM_SHAPE = {1: "messages", 3: "messages", 4: "messages", 8: "messages", 14: "messages", 24: "contents",
                  34: "messages", 39: "messages", 43: "messages"}  # fmt: skip


@pytest.mark.parametrize("type_id", sorted(UPSTREAM_SHAPE))
@pytest.mark.parametrize("fmt", sorted(CHAT_LIKE))
def test_every_chat_family_serves_every_chat_format(type_id, fmt, sqlite_storage):
    ch = channel(type_id, "https://h.example/{model}" if type_id == 8 else "https://h.example", other="acc")
    m = meta(fmt, "m", path="/v1beta/models/m:generateContent" if fmt == F.GEMINI else "")
    body = body_of(adaptor(ch, m).build_request(CHAT_LIKE[fmt]))
    assert body[UPSTREAM_SHAPE[type_id]]
