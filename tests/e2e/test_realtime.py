"""`/v1/realtime` through the live gateway with the `websockets` client: both ways of giving the
key, the channel's key upstream, frames both ways, and the bill from `response.done` usage."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from backend.relay import token_counter
from backend.services import ratios
from tests.fakes.openai_realtime import AUDIO_SECOND, REALTIME_USAGE, TRANSCRIPT
from tests.relay.relay_seed import RelayEnv, consume_logs, flush, log_other, make_channel, make_key, relay_env
from tests.support import wait_until

MODEL = "gpt-4o-realtime-preview"
USER_QUOTA = 3_000_000


@pytest.fixture
def env(storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def ws_url(env: RelayEnv, model: str = MODEL) -> str:
    return env.url.replace("http://", "ws://") + f"/v1/realtime?model={model}"


async def converse(url: str, responses: int, **kw: object) -> tuple[list[dict], str | None]:
    """Open, exchange events (one plain event, `responses` responses, one binary frame), close."""
    seen: list[dict] = []
    async with connect(url, **kw) as ws:
        seen.append(orjson.loads(await ws.recv()))
        await ws.send(orjson.dumps({"type": "session.update", "session": {}}).decode())
        seen.append(orjson.loads(await ws.recv()))
        for _ in range(responses):
            await ws.send(orjson.dumps({"type": "response.create"}).decode())
            while (event := orjson.loads(await ws.recv()))["type"] != "response.done":
                seen.append(event)
            seen.append(event)
        await ws.send(b"\x01\x02\x03")
        assert await ws.recv() == b"\x03\x02\x01"
        return seen, ws.subprotocol


def per_response() -> int:
    d_in, d_out = REALTIME_USAGE["input_token_details"], REALTIME_USAGE["output_token_details"]
    ar, cr = ratios.audio_ratio(MODEL), ratios.completion_ratio(MODEL)
    tokens = d_in["text_tokens"] + d_out["text_tokens"] * cr + d_in["audio_tokens"] * ar + d_out["audio_tokens"] * ar * 2
    return round(tokens * ratios.model_ratio(MODEL))


def logged(user_id: int) -> list:
    def rows() -> list:
        flush()
        return consume_logs(user_id)

    wait_until(lambda: bool(rows()), "the realtime call to be logged")
    return rows()


def test_bearer_key_frames_both_ways_and_the_bill(env: RelayEnv) -> None:
    make_channel(env.fake.url, MODEL, key="sk-channel-secret")
    user, token, key = make_key(quota=USER_QUOTA)
    seen, protocol = asyncio.run(converse(ws_url(env), 2, additional_headers={"Authorization": f"Bearer {key}"}))
    assert [e["type"] for e in seen] == ["session.created", "session.update.ack", "response.created",
                                         "response.output_text.delta", "response.done"] + [
        "response.created", "response.output_text.delta", "response.done"]
    assert protocol is None
    upstream = env.fake.requests[0]
    assert (upstream.method, upstream.path, upstream.query) == ("WS", "/v1/realtime", {"model": MODEL})
    assert upstream.headers["authorization"] == "Bearer sk-channel-secret"
    assert key.removeprefix("sk-") not in str(upstream.headers)

    [row] = logged(user.id)
    q = per_response()  # (10 + 5 CR + 20 x 20 + 30 x 20 x 2) x MR, per response.done
    assert (row.quota, row.prompt_tokens, row.completion_tokens, row.model_name, row.token_id) == (
        2 * q, 60, 70, MODEL, token.id)
    assert log_other(row)["audio_input"] == 40 and log_other(row)["audio_ratio"] == 20


def test_browser_subprotocol_key_and_azure_channel(env: RelayEnv) -> None:
    make_channel(env.fake.url, MODEL, type_=3, key="azure-secret", other="2025-04-01-preview",
                 model_mapping={MODEL: "my-deployment"})
    user, _, key = make_key(quota=USER_QUOTA)
    seen, protocol = asyncio.run(converse(ws_url(env), 1, subprotocols=["realtime", f"openai-insecure-api-key.{key}"]))
    assert protocol == "realtime" and seen[-1]["type"] == "response.done"
    upstream = env.fake.requests[0]
    assert upstream.path == "/openai/realtime"
    assert upstream.query == {"api-version": "2025-04-01-preview", "deployment": "my-deployment"}
    assert upstream.headers["api-key"] == "azure-secret" and "authorization" not in upstream.headers
    [row] = logged(user.id)
    assert row.quota == per_response() and log_other(row)["upstream_model_name"] == "my-deployment"


async def converse_without_usage(url: str, **kw: object) -> list[str]:
    """Instructions, two seconds of audio in, then a response the upstream reports no usage for."""
    async with connect(url, **kw) as ws:
        await ws.recv()
        await ws.send(orjson.dumps({"type": "session.update", "session": {"instructions": "Be brief."}}).decode())
        await ws.recv()
        await ws.send(orjson.dumps({"type": "input_audio_buffer.append", "audio": AUDIO_SECOND * 2}).decode())
        await ws.recv()
        await ws.send(orjson.dumps({"type": "response.create", "response": {"metadata": {"fake": "no-usage"}}}).decode())
        kinds = []
        while (event := orjson.loads(await ws.recv()))["type"] != "response.done":
            kinds.append(event["type"])
        return kinds


def test_a_response_without_usage_is_billed_from_the_gateways_count(env: RelayEnv) -> None:
    make_channel(env.fake.url, MODEL)
    user, _, key = make_key(quota=USER_QUOTA)
    kinds = asyncio.run(converse_without_usage(ws_url(env), additional_headers={"Authorization": f"Bearer {key}"}))
    assert kinds == ["response.created", "response.audio.delta"] + ["response.audio_transcript.delta"] * 3

    text_in = token_counter.count_text(MODEL, "Be brief.")
    text_out = token_counter.count_text(MODEL, "".join(TRANSCRIPT))
    audio_in, audio_out = int(2 / 60 * 100 / 0.06), int(1 / 60 * 200 / 0.24)  # 2 s in, 1 s out: 55 and 13
    ar, acr, cr = ratios.audio_ratio(MODEL), ratios.audio_completion_ratio(MODEL), ratios.completion_ratio(MODEL)
    quota = round((text_in + text_out * cr + audio_in * ar + audio_out * ar * acr) * ratios.model_ratio(MODEL))
    [row] = logged(user.id)
    assert (row.quota, row.prompt_tokens, row.completion_tokens) == (quota, text_in + audio_in, text_out + audio_out)
    assert (log_other(row)["audio_input"], log_other(row)["audio_output"]) == (55, 13)


def test_refusals_happen_before_the_upgrade_and_cost_nothing(env: RelayEnv) -> None:
    make_channel(env.fake.url, MODEL)
    user, _, key = make_key(quota=USER_QUOTA)

    async def status(url: str, **kw: object) -> int:
        with pytest.raises(InvalidStatus) as info:
            async with connect(url, **kw):
                pass
        return info.value.response.status_code

    assert asyncio.run(status(ws_url(env), additional_headers={"Authorization": "Bearer sk-wrong"})) == 401
    assert asyncio.run(status(ws_url(env))) == 401
    assert asyncio.run(status(ws_url(env, "no-such-model"), additional_headers={"Authorization": f"Bearer {key}"})) \
        in (500, 503)
    assert env.fake.requests == []
    asyncio.run(converse(ws_url(env), 0, additional_headers={"Authorization": f"Bearer {key}"}))
    flush()
    assert consume_logs(user.id) == []  # a session without responses costs nothing
