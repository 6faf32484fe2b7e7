"""Images and audio through the live gateway with the official `openai` SDK: what the SDK gets back,
what the upstream received, and the exact charge in the consume log (on every database)."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator

import openai
import orjson
import pytest

from backend.models.usage import Usage
from backend.relay import token_counter
from tests.fakes import openai_extra as ox
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
)

USER_QUOTA = 3_000_000  # below the $10 trust line: every call reserves first
PER_USD = 500_000


@pytest.fixture
def env(storage) -> Iterator[RelayEnv]:
    with relay_env() as e:
        yield e


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(rate * seconds))
    return buf.getvalue()


def quotas(user_id: int) -> list[int]:
    flush()
    return [row.quota for row in consume_logs(user_id)]


def test_image_generations_are_priced_by_size_quality_and_n(env: RelayEnv) -> None:
    set_option("ModelPrice", orjson.dumps({"dall-e-2": 0.02}).decode())
    make_channel(env.fake.url, "dall-e-3,dall-e-2,gpt-image-1")
    make_channel(env.fake.url, "broken-image", model_mapping={"broken-image": "fail-500"})
    set_option("ModelPrice", orjson.dumps({"dall-e-2": 0.02, "broken-image": 0.04}).decode())
    user, token, key = make_key(quota=USER_QUOTA)
    client = env.openai(key)

    img = client.images.generate(model="dall-e-3", prompt="a cat")
    assert [d.url for d in img.data] == [ox.IMAGE_URL]
    hd = client.images.generate(model="dall-e-3", prompt="a cat", size="1792x1024", quality="hd")
    assert hd.data[0].revised_prompt == "a cat"
    three = client.images.generate(model="dall-e-2", prompt="a cat", size="256x256", n=3,
                                   response_format="b64_json")
    assert [d.b64_json for d in three.data] == [ox.IMAGE_B64] * 3
    tokens = client.images.generate(model="gpt-image-1", prompt="a cat")
    assert tokens.usage.total_tokens == 110

    # $0.04; $0.04 x 2 (1792 size) x 1.5 (hd at 1792); $0.02 x 0.4 (256) x 3; (10 + 100 x 8) x 2.5
    assert quotas(user.id) == [20_000, 60_000, 12_000, 2025]
    rows = consume_logs(user.id)
    assert rows[1].content.endswith("大小 1792x1024, 品质 hd")
    assert log_other(rows[2])["model_price"] == pytest.approx(0.024)
    assert (rows[3].prompt_tokens, rows[3].completion_tokens) == (10, 100)
    assert user_row(user.id).quota == USER_QUOTA - 94_025
    assert token_row(token.id).used_quota == 94_025

    with pytest.raises(openai.BadRequestError) as info:
        client.images.generate(model="dall-e-3", prompt="a cat", size="256x256")
    assert "dall-e-3" in info.value.message
    with pytest.raises(openai.BadRequestError):
        client.images.generate(model="dall-e-3", prompt="")
    with pytest.raises(openai.InternalServerError):
        client.images.generate(model="broken-image", prompt="a cat")
    assert len(quotas(user.id)) == 4  # neither refusals nor failures cost anything
    assert user_row(user.id).quota == USER_QUOTA - 94_025


def test_image_edits_and_variations_send_the_form_byte_exact(env: RelayEnv) -> None:
    set_option("ModelPrice", orjson.dumps({"dall-e-2": 0.02}).decode())
    make_channel(env.fake.url, "dall-e-2", model_mapping={"dall-e-2": "dall-e-2-upstream"})
    user, _, key = make_key(quota=USER_QUOTA)
    client = env.openai(key)
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8 + b"\r\n--not-a-boundary\r\n"
    mask = b"\x89PNG\r\nmask" + bytes(range(255, -1, -1))

    edited = client.images.edit(model="dall-e-2", image=("cat.png", picture, "image/png"),
                                mask=("mask.png", mask, "image/png"), prompt="add a hat", n=2, size="512x512")
    assert len(edited.data) == 2
    sent = env.fake.last
    assert sent.path == "/v1/images/edits"
    assert picture in sent.body and mask in sent.body
    assert b'name="model"\r\n\r\ndall-e-2-upstream\r\n' in sent.body
    assert b"dall-e-2\r\n" not in sent.body.replace(b"dall-e-2-upstream", b"")

    variation = client.images.create_variation(model="dall-e-2", image=("cat.png", picture, "image/png"), n=1)
    assert variation.data[0].url == ox.IMAGE_URL
    assert picture in env.fake.last.body and env.fake.last.path == "/v1/images/variations"

    # $0.02 x 0.45 (512) x 2 images; $0.02 x 1 (no size: 1024 at the upstream's default)
    assert quotas(user.id) == [9_000, 10_000]
    assert consume_logs(user.id)[0].model_name == "dall-e-2"
    with pytest.raises(openai.BadRequestError):
        client.images.edit(model="dall-e-2", image=("cat.png", picture, "image/png"), prompt="")
    assert len(quotas(user.id)) == 2


def test_speech_streams_the_audio_unchanged_and_bills_characters_and_audio_length(env: RelayEnv) -> None:
    make_channel(env.fake.url, "tts-1,gpt-4o-mini-tts")
    make_channel(env.fake.url, "tts-broken", model_mapping={"tts-broken": "fail-503"})
    set_option("ModelRatio", orjson.dumps({"tts-broken": 7.5, "gpt-4o-mini-tts": 0.3}).decode())
    user, _, key = make_key(quota=USER_QUOTA)
    client = env.openai(key)
    text = "Hello there, world"

    speech = client.audio.speech.create(model="tts-1", voice="alloy", input=text)
    assert speech.read() == ox.SPEECH_BYTES + text.encode()
    assert speech.response.headers["content-type"] == "audio/mpeg"
    with client.audio.speech.with_streaming_response.create(model="tts-1", voice="alloy", input=text,
                                                            response_format="wav") as streamed:
        assert streamed.headers["content-type"] == "audio/wav"
        assert b"".join(streamed.iter_bytes(7)) == ox.speech_audio("wav", text)
    client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input=text).read()

    # the input's 18 characters (the gpt model counts tokens instead), and the audio: the mp3 the
    # fake sends cannot be decoded (a token per started KB), the wav plays 4.5 s (5 s = 83 tokens)
    chars = len(text)
    gpt_tokens = token_counter.count_text("gpt-4o-mini-tts", text)
    usages = [Usage(chars, 1), Usage(chars, 83), Usage(gpt_tokens, 1)]
    row = user_row(user.id)
    assert quotas(user.id) == [expected_quota(row, model, usage)
                               for model, usage in zip(["tts-1", "tts-1", "gpt-4o-mini-tts"], usages, strict=True)]
    assert [(r.prompt_tokens, r.completion_tokens, r.is_stream) for r in consume_logs(user.id)] == [
        (u.prompt_tokens, u.completion_tokens, False) for u in usages]

    with pytest.raises(openai.InternalServerError):
        client.audio.speech.create(model="tts-broken", voice="alloy", input=text).read()
    with pytest.raises(openai.BadRequestError):
        client.audio.speech.create(model="tts-1", voice="alloy", input="").read()
    assert len(quotas(user.id)) == 3


@pytest.mark.parametrize("kind", ["transcriptions", "translations"])
def test_transcriptions_bill_the_minutes_of_audio_for_every_format(env: RelayEnv, kind: str) -> None:
    make_channel(env.fake.url, "whisper-1", model_mapping={"whisper-1": "whisper-large"})
    user, _, key = make_key(quota=USER_QUOTA)
    client = env.openai(key)
    api = getattr(client.audio, kind)
    audio = wav_bytes(61.05)  # ceil -> 62 s -> round(62 / 60 x 1000) = 1033 tokens

    plain = api.create(model="whisper-1", file=("talk.wav", audio, "audio/wav"))
    assert plain.text == ow.REPLY_TEXT
    sent = env.fake.last
    assert sent.path == f"/v1/audio/{kind}" and audio in sent.body
    assert b'name="model"\r\n\r\nwhisper-large\r\n' in sent.body
    assert api.create(model="whisper-1", file=("talk.wav", audio), response_format="text").strip() == ow.REPLY_TEXT
    srt = api.create(model="whisper-1", file=("talk.wav", audio), response_format="srt")
    assert srt.startswith("1\n00:00:00,000 --> ") and ow.REPLY_TEXT in srt
    vtt = api.create(model="whisper-1", file=("talk.wav", audio), response_format="vtt")
    assert vtt.startswith("WEBVTT")
    if kind == "transcriptions":
        verbose = api.create(model="whisper-1", file=("talk.wav", audio), response_format="verbose_json")
        assert (verbose.text, verbose.duration) == (ow.REPLY_TEXT, 1.5)

    calls = 5 if kind == "transcriptions" else 4
    assert quotas(user.id) == [1033 * 15] * calls
    row = consume_logs(user.id)[0]
    assert (row.prompt_tokens, row.completion_tokens, row.model_name) == (1033, 0, "whisper-1")

    with pytest.raises(openai.BadRequestError) as info:
        api.create(model="whisper-1", file=("talk.webm", b"\x1aE\xdf\xa3webm"))
    assert "audio" in info.value.message
    assert len(quotas(user.id)) == calls


def test_transcription_with_token_usage_bills_the_upstream_usage(env: RelayEnv) -> None:
    make_channel(env.fake.url, "gpt-4o-transcribe")
    set_option("ModelRatio", orjson.dumps({"gpt-4o-transcribe": 1.25}).decode())
    user, _, key = make_key(quota=USER_QUOTA)
    out = env.openai(key).audio.transcriptions.create(model="gpt-4o-transcribe", file=("a.wav", wav_bytes(2)))
    assert out.text == ow.REPLY_TEXT
    usage = Usage(ox.TRANSCRIBE_USAGE["input_tokens"], ox.TRANSCRIBE_USAGE["output_tokens"])
    assert quotas(user.id) == [expected_quota(user, "gpt-4o-transcribe", usage)]
    assert expected_quota(user, "gpt-4o-transcribe", usage) == round((40 + 12 * 4) * 1.25)
