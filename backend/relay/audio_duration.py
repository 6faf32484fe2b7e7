"""How long an uploaded audio file plays, read from its own headers and frames (no decoder, no
ffprobe): new-api bills transcriptions and translations at 1000 tokens a minute of audio, counted
from the file before the upstream sees it (`duration_tokens`).

Formats, chosen by the file name's extension as new-api does: wav, mp3, flac, ogg/oga/opus,
m4a/mp4, aac (ADTS). Anything else, or a file its parser cannot read, raises `AudioFormatError`
(new-api refuses those too).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

MAX_SECONDS = 24 * 3600.0  # a file claiming more than a day is lying about itself


class AudioFormatError(ValueError):
    pass


def duration_tokens(seconds: float) -> int:
    """new-api: round(ceil(seconds) / 60 * 1000), a minute of audio being 1000 tokens."""
    seconds = min(max(seconds, 0.0), MAX_SECONDS)
    return int(math.floor(math.ceil(seconds) / 60.0 * 1000 + 0.5))


def _wav(data: bytes) -> float:
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError("not a WAV file")
    pos, byte_rate, size = 12, 0, None
    while pos + 8 <= len(data):
        chunk, length = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk == b"fmt " and length >= 16:
            channels, rate = struct.unpack_from("<HI", data, pos + 10)
            bits = struct.unpack_from("<H", data, pos + 22)[0]
            byte_rate = channels * (bits // 8) * rate
        elif chunk == b"data":
            size = min(length, len(data) - pos - 8) if length else len(data) - pos - 8
            break
        pos += 8 + length + (length & 1)
    if not byte_rate or size is None:
        raise AudioFormatError("WAV file without fmt or data chunk")
    return size / byte_rate


_MP3_BITRATES = {  # (version is MPEG-1, layer) -> kbit/s by index
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _mp3(data: bytes) -> float:
    """Walks every frame (what new-api's decoder does, so VBR files come out right)."""
    pos = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        pos = 10 + size
    seconds, frames = 0.0, 0
    while pos + 4 <= len(data):
        b1, b2 = data[pos + 1], data[pos + 2]
        if data[pos] != 0xFF or b1 & 0xE0 != 0xE0:
            pos += 1
            continue
        version, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
        rate_index, bitrate_index = (b2 >> 2) & 3, b2 >> 4
        if version == 1 or layer_bits == 0 or rate_index == 3 or bitrate_index in (0, 15):
            pos += 1
            continue
        mpeg1, layer = version == 3, 4 - layer_bits
        bitrate = _MP3_BITRATES[(mpeg1, layer if mpeg1 else min(layer, 2))][bitrate_index] * 1000
        rate = _MP3_RATES[version][rate_index]
        padding = (b2 >> 1) & 1
        if layer == 1:
            samples, length = 384, (12 * bitrate // rate + padding) * 4
        else:
            samples = 1152 if mpeg1 or layer == 2 else 576
            length = samples // 8 * bitrate // rate + padding
        seconds += samples / rate
        frames += 1
        pos += max(length, 4)
    if not frames:
        raise AudioFormatError("no MPEG audio frames found")
    return seconds


def _flac(data: bytes) -> float:
    if data[:4] != b"fLaC" or len(data) < 26:
        raise AudioFormatError("not a FLAC file")
    info = int.from_bytes(data[18:26], "big")  # STREAMINFO bytes 10..17: rate(20) ch(3) bits(5) samples(36)
    rate, samples = info >> 44, info & ((1 << 36) - 1)
    if not rate:
        raise AudioFormatError("FLAC file without a sample rate")
    return samples / rate


def _ogg(data: bytes) -> float:
    if data[:4] != b"OggS":
        raise AudioFormatError("not an Ogg file")
    if b"OpusHead" in data[:512]:
        rate = 48000
    else:
        at = data.find(b"\x01vorbis", 0, 512)
        if at < 0:
            raise AudioFormatError("Ogg file is neither Vorbis nor Opus")
        rate = struct.unpack_from("<I", data, at + 12)[0]
    last = data.rfind(b"OggS")
    granule = struct.unpack_from("<q", data, last + 6)[0] if last + 14 <= len(data) else 0
    if not rate or granule < 0:
        raise AudioFormatError("Ogg file without a usable granule position")
    return granule / rate


def _mp4(data: bytes) -> float:
    at = data.find(b"mvhd")
    if at < 4 or at + 24 > len(data):
        raise AudioFormatError("MP4 file without a movie header")
    if data[at + 4] == 1:  # version 1: 64-bit times (struct.error past the end is refused below)
        scale, duration = struct.unpack_from(">IQ", data, at + 24)
    else:
        scale, duration = struct.unpack_from(">II", data, at + 16)
    if not scale:
        raise AudioFormatError("MP4 movie header without a time scale")
    return duration / scale


_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)


def _aac(data: bytes) -> float:
    pos, frames, rate = 0, 0, 0
    while pos + 7 <= len(data):
        if data[pos] != 0xFF or data[pos + 1] & 0xF6 != 0xF0:
            pos += 1
            continue
        index = (data[pos + 2] >> 2) & 0x0F
        length = (data[pos + 3] & 3) << 11 | data[pos + 4] << 3 | data[pos + 5] >> 5
        if index >= len(_AAC_RATES) or length < 7:
            pos += 1
            continue
        rate = rate or _AAC_RATES[index]
        frames += 1
        pos += length
    if not frames:
        raise AudioFormatError("no ADTS frames found")
    return frames * 1024 / rate


_PARSERS: dict[str, Callable[[bytes], float]] = {
    "wav": _wav, "mp3": _mp3, "flac": _flac, "ogg": _ogg, "oga": _ogg, "opus": _ogg,
    "m4a": _mp4, "mp4": _mp4, "aac": _aac,
}  # fmt: skip


def audio_seconds(filename: str, data: bytes) -> float:
    """Seconds of audio in `data`, by the extension of `filename`."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    parser = _PARSERS.get(ext)
    if parser is None:
        raise AudioFormatError(f"unsupported audio format: .{ext[:16]}" if ext else "the audio file has no extension")
    try:
        return parser(data)
    except (struct.error, IndexError, KeyError) as exc:
        raise AudioFormatError(f"cannot read the .{ext} file") from exc


PCM_BYTES_PER_SECOND = 24000 * 2  # OpenAI's pcm speech: 24 kHz, 16-bit, mono, no header


def speech_output_tokens(response_format: str, audio: bytes) -> int:
    """new-api's charge for the audio a speech call made: its length at 1000 tokens a minute
    (`duration_tokens`; pcm by its byte count), or a token per started KB when the audio cannot
    be read (an unknown format, a damaged file)."""
    fmt = (response_format or "mp3").lower()
    try:
        seconds = len(audio) / PCM_BYTES_PER_SECOND if fmt == "pcm" else audio_seconds(f"speech.{fmt}", audio)
    except AudioFormatError:
        return math.ceil(len(audio) / 1000)
    return duration_tokens(seconds) if seconds > 0 else 0
