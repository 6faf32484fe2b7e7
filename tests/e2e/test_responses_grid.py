"""/v1/responses through the live gateway with the official `openai` SDK, on every upstream kind:
OpenAI (native Responses), Codex (Responses-only backend, always streamed), an OpenAI-compatible
Chat-only provider, Anthropic and Gemini (through the Chat pivot). Each cell: whole and streamed
replies, `responses.stream()` with a tool call and the follow-up turn, and exact charges in the logs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import openai
import orjson
import pytest

from backend.models.usage import Usage
from tests.fakes import openai_wire as ow
from tests.relay.relay_seed import (
    RelayEnv,
    consume_logs,
    expected_quota,
    flush,
    make_channel,
    make_key,
    relay_env,
    wait_until,
)

CODEX_KEY = '{"access_token":"codex-token","account_id":"acct-1"}'
TOOLS = [{"type": "function", "name": "get_weather", "description": "Weather for a city",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]


@dataclass(frozen=True)
class Kind:
    name: str
    type_: int
    path: str  # where the fake upstream received the call
    key: str = "sk-upstream"


KINDS = [
    Kind("openai", 1, "/v1/responses"),
    Kind("codex", 57, "/backend-api/codex/responses", CODEX_KEY),
    Kind("chat-only", 43, "/v1/chat/completions"),  # DeepSeek: an OpenAI-compatible Chat-only provider
    Kind("anthropic", 14, "/v1/messages"),
    Kind("gemini", 24, "/v1beta/models/gpt-4o:"),
]


@pytest.fixture
def env(sqlite_storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def _setup(env: RelayEnv, kind: Kind, model: str = "gpt-4o", **channel: object) -> tuple[openai.OpenAI, int]:
    make_channel(env.fake.url, model, type_=kind.type_, key=kind.key, **channel)
    user, _, key = make_key()
    return env.openai(key), user.id


def _charged(user_id: int, n: int) -> list[tuple[int, int, int]]:
    def settled() -> bool:
        flush()
        return len(consume_logs(user_id)) >= n

    wait_until(settled, f"{n} consume log rows")
    return [(r.prompt_tokens, r.completion_tokens, r.quota) for r in consume_logs(user_id)]


def _quota(user_id: int) -> int:
    from tests.relay.relay_seed import user_row

    return expected_quota(user_row(user_id), "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS))


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_text_whole_and_streamed_billed_exactly(env: RelayEnv, kind: Kind) -> None:
    client, user_id = _setup(env, kind)
    resp = client.responses.create(model="gpt-4o", instructions="Answer briefly.", input="Say hello")
    assert env.fake.last.path.startswith(kind.path)
    assert resp.output_text == ow.REPLY_TEXT and resp.status == "completed" and resp.model == "gpt-4o"
    assert (resp.usage.input_tokens, resp.usage.output_tokens) == (ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)

    events = list(client.responses.create(model="gpt-4o", input="Say hello", stream=True))
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == ow.REPLY_TEXT
    done = events[-1].response
    assert done.output_text == ow.REPLY_TEXT and done.id == events[0].response.id
    assert (done.usage.input_tokens, done.usage.output_tokens) == (ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS)
    q = _quota(user_id)
    assert _charged(user_id, 2) == [(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, q)] * 2


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_tool_call_round_trip_with_the_stream_helper(env: RelayEnv, kind: Kind) -> None:
    client, user_id = _setup(env, kind)
    with client.responses.stream(model="gpt-4o", input="Weather in Paris?", tools=TOOLS) as stream:
        deltas = [e.delta for e in stream if e.type == "response.function_call_arguments.delta"]
        final = stream.get_final_response()
    [call] = [item for item in final.output if item.type == "function_call"]
    assert call.name == "get_weather" and orjson.loads(call.arguments) == {"city": "Paris"}
    assert orjson.loads("".join(deltas)) == {"city": "Paris"}  # arguments streamed as deltas

    follow_up = [
        {"role": "user", "content": "Weather in Paris?"},
        {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
        {"type": "function_call_output", "call_id": call.call_id, "output": '{"temp_c": 21}'},
    ]
    resp = client.responses.create(model="gpt-4o", input=follow_up, tools=TOOLS)
    assert resp.output_text == ow.REPLY_TEXT
    assert len(_charged(user_id, 2)) == 2
    if kind.name == "anthropic":  # the call and its result reached Claude as tool_use / tool_result
        sent = env.fake.last.json["messages"]
        assert sent[1]["content"][0]["type"] == "tool_use" and sent[2]["content"][0]["type"] == "tool_result"


@pytest.mark.parametrize("kind", [k for k in KINDS if k.name != "codex"], ids=lambda k: k.name)
def test_image_input_and_system_reach_the_upstream(env: RelayEnv, kind: Kind) -> None:
    client, _ = _setup(env, kind)
    image = "data:image/png;base64,iVBORw0KGgo="
    client.responses.create(model="gpt-4o", instructions="You describe images.", input=[
        {"role": "user", "content": [{"type": "input_text", "text": "What is this?"},
                                     {"type": "input_image", "image_url": image, "detail": "low"}]}])
    sent = env.fake.last.json
    if kind.name == "openai":
        assert sent["input"][0]["content"][1]["image_url"] == image and sent["instructions"] == "You describe images."
    elif kind.name == "chat-only":
        assert sent["messages"][0] == {"role": "system", "content": "You describe images."}
        assert sent["messages"][1]["content"][1] == {"type": "image_url", "image_url": {"url": image, "detail": "low"}}
    elif kind.name == "anthropic":
        assert sent["system"][0]["text"] == "You describe images." if isinstance(sent["system"], list) \
            else sent["system"] == "You describe images."
        assert sent["messages"][0]["content"][1]["source"] == {"type": "base64", "media_type": "image/png",
                                                               "data": "iVBORw0KGgo="}
    else:
        assert sent["systemInstruction"]["parts"][0]["text"] == "You describe images."
        assert sent["contents"][0]["parts"][1]["inlineData"] == {"mimeType": "image/png", "data": "iVBORw0KGgo="}


def test_reasoning_cache_and_length_on_a_chat_upstream(env: RelayEnv) -> None:
    """Reasoning content becomes a reasoning item with a summary; cached tokens and a length stop
    come back in Responses' terms (usage details, status incomplete)."""
    kind = KINDS[2]
    client, user_id = _setup(env, kind, model_mapping={"gpt-4o": "reasoner-cache"})
    resp = client.responses.create(model="gpt-4o", input="Think first")
    assert [item.type for item in resp.output] == ["reasoning", "message"]
    assert resp.output[0].summary[0].text == ow.REASONING_TEXT
    assert resp.usage.input_tokens_details.cached_tokens == ow.CACHED_TOKENS
    with client.responses.stream(model="gpt-4o", input="Think first") as stream:
        kinds = [e.type for e in stream]
        final = stream.get_final_response()
    assert "response.reasoning_summary_text.delta" in kinds and "response.reasoning_summary_part.done" in kinds
    assert final.output[0].summary[0].text == ow.REASONING_TEXT and final.output_text == ow.REPLY_TEXT
    q = expected_quota(_user(user_id), "gpt-4o", Usage(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, ow.CACHED_TOKENS))
    assert _charged(user_id, 2) == [(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, q)] * 2


def _user(user_id: int):
    from tests.relay.relay_seed import user_row

    return user_row(user_id)


def test_native_passthrough_keeps_state_and_built_in_tools(env: RelayEnv) -> None:
    """previous_response_id and built-in tools go to an OpenAI channel unchanged; on a channel that
    keeps no state or cannot run them they are refused with a clear 400 (a hosted tool merely
    offered is left out) and nothing is charged."""
    client, user_id = _setup(env, KINDS[0])
    first = client.responses.create(model="gpt-4o", input="Remember 7", tools=[{"type": "web_search"}])
    assert env.fake.last.json["tools"] == [{"type": "web_search"}]
    second = client.responses.create(model="gpt-4o", input="Which number?", previous_response_id=first.id)
    assert env.fake.last.json["previous_response_id"] == first.id and second.output_text == ow.REPLY_TEXT
    with pytest.raises(openai.BadRequestError) as info:  # the upstream's own 400, passed through
        client.responses.create(model="gpt-4o", input="x", previous_response_id="resp_unknown")
    assert info.value.code == "previous_response_not_found"

    chat_client, chat_user = _setup(env, KINDS[3], "gpt-4o-mini")
    calls = len(env.fake.requests)
    forced = {"tools": [{"type": "web_search_preview"}], "tool_choice": {"type": "web_search_preview"}}
    for extra in ({"previous_response_id": first.id}, forced):
        with pytest.raises(openai.BadRequestError) as info:
            chat_client.responses.create(model="gpt-4o-mini", input="x", **extra)
        assert "not supported on this channel" in info.value.message or "only available" in info.value.message
    assert len(env.fake.requests) == calls
    flush()
    assert consume_logs(chat_user) == [] and len(consume_logs(user_id)) == 2
    offered = chat_client.responses.create(model="gpt-4o-mini", input="x", tools=[{"type": "web_search"}])
    assert offered.output_text == ow.REPLY_TEXT and "tools" not in env.fake.last.json


def test_compact_passes_through_and_is_refused_where_it_cannot_work(env: RelayEnv) -> None:
    client, user_id = _setup(env, KINDS[0])
    compacted = client.responses.compact(model="gpt-4o", input=[{"role": "user", "content": "long talk"}])
    assert env.fake.last.path == "/v1/responses/compact"
    assert compacted.object == "response.compaction" and compacted.output[-1].type == "compaction"
    assert _charged(user_id, 1) == [(ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS, _quota(user_id))]
    chat_client, chat_user = _setup(env, KINDS[3], "gpt-4o-mini")
    with pytest.raises(openai.BadRequestError) as info:
        chat_client.responses.compact(model="gpt-4o-mini", input=[{"role": "user", "content": "long talk"}])
    assert "only available on OpenAI and Azure channels" in info.value.message
    flush()
    assert consume_logs(chat_user) == []


def test_codex_channel_rules(env: RelayEnv) -> None:
    """Codex: OAuth key JSON -> bearer + account header, store false, always streamed upstream (a
    whole reply is read from the stream), the sampling knobs and max_output_tokens removed."""
    client, _ = _setup(env, KINDS[1])
    resp = client.responses.create(model="gpt-4o", input="hi", max_output_tokens=50, temperature=0.2)
    sent = env.fake.last
    assert sent.headers["authorization"] == "Bearer codex-token" and sent.headers["chatgpt-account-id"] == "acct-1"
    assert sent.json["store"] is False and sent.json["stream"] is True and sent.json["instructions"] == ""
    assert "max_output_tokens" not in sent.json and "temperature" not in sent.json
    assert resp.output_text == ow.REPLY_TEXT


@pytest.mark.parametrize("kind", [KINDS[0], KINDS[2], KINDS[3]], ids=lambda k: k.name)
def test_failures_are_openai_errors_and_cost_nothing(env: RelayEnv, kind: Kind) -> None:
    client, user_id = _setup(env, kind, model_mapping={"gpt-4o": "fail-500"})
    with pytest.raises(openai.InternalServerError):
        client.responses.create(model="gpt-4o", input="hi")
    with pytest.raises(openai.InternalServerError):
        list(client.responses.create(model="gpt-4o", input="hi", stream=True))
    flush()
    assert consume_logs(user_id) == []


@pytest.mark.parametrize("kind", [KINDS[0], KINDS[2]], ids=lambda k: k.name)
def test_a_stream_that_fails_midway_ends_with_an_error_event(env: RelayEnv, kind: Kind) -> None:
    client, user_id = _setup(env, kind, model_mapping={"gpt-4o": "stream-error"})
    events = list(client.responses.create(model="gpt-4o", input="hi", stream=True))
    assert events[-1].type == "error" and "fake stream failure" in events[-1].message
    assert not any(e.type == "response.completed" for e in events)
    [(prompt, completion, _)] = _charged(user_id, 1)  # what was produced is billed
    assert completion > 0
