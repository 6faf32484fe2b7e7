"""The local count of a Realtime session (relay/realtime_count.py): audio by its base64 length
and format at new-api's rates, text kept and counted once per response, formats from the session."""

from __future__ import annotations

import base64

import pytest

from backend.relay.realtime_count import LocalCount, b64_bytes, input_audio_tokens, output_audio_tokens


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 47999, 48000])
def test_b64_bytes_is_the_decoded_size(size: int) -> None:
    assert b64_bytes(base64.b64encode(b"x" * size).decode()) == size


@pytest.mark.parametrize(("seconds", "tokens_in", "tokens_out"), [(0, 0, 0), (1, 27, 13), (2, 55, 27), (60, 1666, 833),
                                                                  (-3, 0, 0)])
def test_audio_token_rates(seconds: float, tokens_in: int, tokens_out: int) -> None:
    assert (input_audio_tokens(seconds), output_audio_tokens(seconds)) == (tokens_in, tokens_out)


def _audio(seconds: float, per_second: int) -> str:
    return base64.b64encode(b"\0" * int(seconds * per_second)).decode()


def test_a_session_counted_then_taken() -> None:
    count = LocalCount()
    count.client_event({"type": "session.update", "session": {"instructions": "Be ", "input_audio_format": "g711_ulaw"}})
    count.client_event({"type": "input_audio_buffer.append", "audio": _audio(3, 8000)})  # 3 s of G.711
    count.client_event({"type": "conversation.item.create",
                        "item": {"type": "message", "content": [{"type": "input_text", "text": "brief."},
                                                                {"type": "input_audio", "audio": "AAAA"}]}})
    count.upstream_event({"type": "session.updated", "session": {"audio": {"output": {"format": {"type": "audio/pcmu"}}}}})
    count.upstream_event({"type": "response.output_audio.delta", "delta": _audio(6, 8000)})  # 6 s out
    count.upstream_event({"type": "response.output_text.delta", "delta": "Hi "})
    count.upstream_event({"type": "response.function_call_arguments.delta", "delta": "{}"})
    count.upstream_event({"type": "response.created"})
    lengths = count.take(len)  # the counter gets the joined text
    assert lengths == (len("Be brief."), input_audio_tokens(3), len("Hi {}"), output_audio_tokens(6))
    assert count.take(len) == (0, 0, 0, 0)  # taken once
    assert (count.input_format, count.output_format) == ("g711_ulaw", "audio/pcmu")  # formats stay


def test_forget_drops_what_a_reported_usage_covers() -> None:
    count = LocalCount()
    count.client_event({"type": "input_audio_buffer.append", "audio": _audio(1, 48000)})
    count.upstream_event({"type": "response.audio_transcript.delta", "delta": "x"})
    count.forget()
    assert count.take(len) == (0, 0, 0, 0)
