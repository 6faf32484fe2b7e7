"""The playground's pure helpers, without a browser: which model it starts on, the request body it
builds, how it reads a non-streamed answer, and the history it keeps after a failed call."""

from __future__ import annotations

import json

import pytest

from backend.db import session_scope
from backend.models.schemas.token import TokenCreate
from backend.services import channel_input, channels, options, pricing, tokens, users
from newapi_ui.locale import translator
from newapi_ui.states import playground as pg


def test_default_model_prefers_the_users_choice_then_a_priced_model() -> None:
    models = ["aaa-unpriced", "gpt-4o-mini", "zzz"]
    assert pg.default_model(models, {"gpt-4o-mini", "zzz"}) == "gpt-4o-mini"  # not the alphabetical first
    assert pg.default_model(models, {"gpt-4o-mini"}, chosen="aaa-unpriced") == "aaa-unpriced"
    assert pg.default_model(models, {"gpt-4o-mini"}, chosen="gone-model") == "gpt-4o-mini"
    assert pg.default_model(models, set()) == "aaa-unpriced"  # nothing priced: the first allowed one
    assert pg.default_model([], {"gpt-4o-mini"}, chosen="gpt-4o-mini") == ""


def test_priced_models_follow_the_price_list(sqlite_storage) -> None:
    channels.create_channels(channel_input.parse_create({"mode": "single", "channel": {
        "name": "c", "type": 1, "key": "k", "models": "aaa-unpriced,gpt-4o-mini", "group": "default"}}))
    with session_scope() as s:
        user_id = users.create_user(s, "alice", "alicepass1").id
    user = users.get_user(user_id)
    key = tokens.create_token(user, TokenCreate(name="k", unlimited_quota=True)).model_dump()
    assert pg.models_and_priced(user, key) == (["aaa-unpriced", "gpt-4o-mini"], {"gpt-4o-mini"})
    # The same rule as the /pricing page's rows.
    listed = {p.model_name: p.priced for p in pricing.price_list("default")}
    assert listed == {"aaa-unpriced": False, "gpt-4o-mini": True}
    options.update("ModelPrice", json.dumps({"aaa-unpriced": 0.01}))  # a per-call price counts too
    assert pg.models_and_priced(user, key)[1] == {"aaa-unpriced", "gpt-4o-mini"}
    models, priced = pg.models_and_priced(user, key)
    assert pg.default_model(models, priced) == "aaa-unpriced"


def test_temperature_is_blank_or_a_number_from_0_to_2() -> None:
    assert pg.parse_temperature("") is None and pg.parse_temperature("  ") is None
    assert pg.parse_temperature("0") == 0.0 and pg.parse_temperature("2") == 2.0
    assert pg.parse_temperature("0,7") == 0.7  # a French keyboard's decimal comma
    for bad in ("2.1", "-0.1", "abc", "nan", "inf"):
        with pytest.raises(ValueError):
            pg.parse_temperature(bad)


def test_request_body_with_and_without_the_options() -> None:
    history = [{"role": "user", "content": "hi"}]
    assert pg.build_body("m", history, "", None, True) == {"model": "m", "messages": history, "stream": True}
    assert pg.build_body("m", history, "   ", None, False) == {"model": "m", "messages": history, "stream": False}
    body = pg.build_body("m", history, "Be brief.", 0.3, False)
    assert body == {"model": "m", "stream": False, "temperature": 0.3,
                    "messages": [{"role": "system", "content": "Be brief."}, *history]}
    assert pg.build_body("m", history, "", 0.0, True)["temperature"] == 0.0  # zero is set, not blank
    assert history == [{"role": "user", "content": "hi"}]  # the chat log itself never holds the system prompt


def test_non_streamed_answers() -> None:
    def body(content: object) -> bytes:
        return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()

    assert pg.answer_of(body("Hello")) == "Hello"
    assert pg.answer_of(body([{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}])) == "Hello"
    assert pg.answer_of(body(None)) is None
    assert pg.answer_of(b'{"choices": []}') is None
    assert pg.answer_of(b'{"id": "x", "choices": [') is None
    assert pg.answer_of(b"[]") is None


def test_sse_error_events() -> None:
    assert pg.detail_of('data: {"error": {"message": "fake stream failure", "type": "x"}}') == "fake stream failure"
    assert pg.detail_of('data: {"choices": [{"delta": {"content": "a"}}]}') is None
    assert pg.detail_of("data: [DONE]") is None


def test_history_after_a_failure_holds_the_message_once() -> None:
    answered = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "A"}]
    sent = pg.history_for_send(answered, "b")
    assert sent == [*answered, {"role": "user", "content": "b"}]
    # The call failed: the log is `sent` (no answer added). Sending again replaces the unanswered message.
    assert pg.history_for_send(sent, "b") == sent
    assert pg.history_for_send(sent, "b, rephrased") == [*answered, {"role": "user", "content": "b, rephrased"}]
    assert pg.history_for_send([], "x") == [{"role": "user", "content": "x"}]


def test_regenerate_drops_the_last_answer_only() -> None:
    log = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "A"},
           {"role": "user", "content": "b"}, {"role": "assistant", "content": "B"}]
    assert pg.history_for_regenerate(log) == log[:3]
    assert pg.history_for_regenerate(log[:3]) == log[:3]  # after a failure: the same history again
    assert pg.history_for_regenerate([]) is None
    assert pg.history_for_regenerate([{"role": "assistant", "content": "?"}]) is None


def test_errors_read_in_the_users_language() -> None:
    detail = pg.error_message(400, b'{"error": {"message": "fake failure 400"}}')
    assert translator("zh_CN")(pg.FAILED_WITH).format(detail=detail) == "模型调用失败：fake failure 400"
    assert translator("fr")(pg.BAD_TEMPERATURE) == "La température est un nombre entre 0 et 2"
    assert translator("en")(pg.FAILED_WITH).format(detail="HTTP 502") == "The model call failed: HTTP 502"
