"""new-api's media rules: audio durations from file headers, image price multipliers."""

from __future__ import annotations

import io
import struct
import wave

import pytest

from backend.models.usage import Usage
from backend.relay.audio_duration import (
    AudioFormatError,
    audio_seconds,
    duration_tokens,
    speech_output_tokens,
)
from backend.relay.media import image_count, image_price_ratio, speech_usage


def wav(seconds: float, rate: int = 16000, channels: int = 2) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * channels * int(rate * seconds))
    return buf.getvalue()


def mp3(frames: int) -> bytes:
    frame = bytes([0xFF, 0xFB, 0x90, 0x64]) + b"\0" * 413  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    return b"ID3\x03\x00\x00\x00\x00\x00\x04" + b"tag!" + frame * frames


def flac(samples: int, rate: int = 44100) -> bytes:
    info = (rate << 44) | (1 << 41) | (15 << 36) | samples
    return b"fLaC" + b"\x80\x00\x00\x22" + b"\0" * 10 + info.to_bytes(8, "big") + b"\0" * 16


def ogg_opus(granule: int) -> bytes:
    page = b"OggS\x00\x04" + struct.pack("<q", granule) + b"\0" * 13
    return b"OggS\x00\x02" + b"\0" * 21 + b"OpusHead" + b"\0" * 20 + page


def m4a(duration: int, scale: int) -> bytes:
    return b"\0\0\0\x20ftypM4A " + b"\0" * 8 + b"\0\0\0\x6cmvhd" + b"\0" * 12 + struct.pack(">II", scale, duration)


@pytest.mark.parametrize(("name", "data", "seconds"), [
    ("a.wav", wav(2.5), 2.5),
    ("b.WAV", wav(1, rate=8000, channels=1), 1.0),
    ("c.mp3", mp3(100), 100 * 1152 / 44100),
    ("d.flac", flac(44100 * 3), 3.0),
    ("e.opus", ogg_opus(48000 * 4), 4.0),
    ("f.m4a", m4a(90_000, 1000), 90.0),
])  # fmt: skip
def test_durations(name: str, data: bytes, seconds: float) -> None:
    assert audio_seconds(name, data) == pytest.approx(seconds)


@pytest.mark.parametrize(("name", "data"), [("a.webm", b"\x1aE\xdf\xa3"), ("noext", wav(1)), ("a.wav", b"RIFFxxxxWAVE"),
                                             ("a.mp3", b"\0" * 100), ("a.flac", b"fLaC"), ("a.m4a", b"junk")])
def test_unreadable_audio_is_refused(name: str, data: bytes) -> None:
    with pytest.raises(AudioFormatError):
        audio_seconds(name, data)


@pytest.mark.parametrize(("seconds", "tokens"), [(0, 0), (0.2, 17), (1, 17), (59.5, 1000), (61.05, 1033), (-3, 0)])
def test_duration_tokens_round_like_new_api(seconds: float, tokens: int) -> None:
    assert duration_tokens(seconds) == tokens  # round(ceil(s) / 60 x 1000)


@pytest.mark.parametrize(("model", "size", "quality", "ratio"), [
    ("dall-e-3", "1024x1024", "standard", 1), ("dall-e-3", "1024x1024", "hd", 2), ("dall-e-3", "1792x1024", "hd", 3),
    ("dall-e-3", "1024x1792", "", 2), ("dall-e-2", "256x256", "", 0.4), ("dall-e-2", "512x512", "hd", 0.45),
    ("dall-e-2", "", "", 1), ("gpt-image-1", "1536x1024", "high", 1), ("imagen-3.0-generate-002", "256x256", "", 1),
])  # fmt: skip
def test_image_price_ratio(model: str, size: str, quality: str, ratio: float) -> None:
    assert image_price_ratio(model, size, quality) == pytest.approx(ratio)


def test_image_count_reads_json_and_form_values() -> None:
    assert [image_count({"n": v}) for v in (3, "4", None, 0, "x", True)] == [3, 4, 1, 1, 1, 1]


@pytest.mark.parametrize(("fmt", "audio", "tokens"), [
    ("wav", wav(2.5), 50),  # ceil 3 s -> 50
    ("", mp3(38 * 61), duration_tokens(38 * 61 * 1152 / 44100)),  # mp3 when unnamed
    ("pcm", b"\0" * 48000 * 61, 1017),  # 61 s of 24 kHz 16-bit mono
    ("mp3", b"ID3 not really" * 200, 3),  # unreadable: a token per started KB (2800 bytes)
    ("weird", b"x" * 1001, 2),
    ("wav", wav(0), 0),  # readable and silent-empty: nothing
])
def test_speech_output_tokens(fmt: str, audio: bytes, tokens: int) -> None:
    assert speech_output_tokens(fmt, audio) == tokens


def test_speech_usage_charges_by_size_when_the_audio_was_not_kept() -> None:
    assert speech_usage({"response_format": "wav"}, 18, wav(2.5), 0) == Usage(18, 50)
    assert speech_usage({}, 18, None, 64_000_001) == Usage(18, 64_001)
