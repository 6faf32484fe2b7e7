"""new-api's request rules and billing rules for the OpenAI endpoints beyond chat: images, audio,
moderations, edits and rerank. The pipeline asks this module at four points (`check`,
`prompt_tokens`, `priced`, `final_usage`); chat-like formats pass through untouched.

Billing, as new-api computes it:
- Images on a fixed price (dall-e-3 $0.04): price × size ratio × quality ratio × n, where dall-e
  models get size 256² 0.4, 512² 0.45, 1024² 1, 1792 sizes 2, and dall-e-3 `hd` 2 (1.5 at the 1792
  sizes). Images on a ratio (gpt-image-1) bill the upstream's token usage; without usage, n prompt
  tokens.
- Speech: the input's characters are the prompt (a tokenizer count for `gpt` models); the audio
  returned is the completion, 1000 tokens a minute of it (the newest new-api).
- Transcriptions / translations: round(ceil(seconds) / 60 × 1000) prompt tokens for the uploaded
  audio, unless the upstream reports token usage (gpt-4o-transcribe).
- Moderations, edits, rerank: the upstream's usage, else the local count of what was sent.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from backend.models.usage import Usage
from backend.relay import token_counter
from backend.relay.adaptors.base import RelayFormat
from backend.relay.audio_duration import (
    AudioFormatError,
    audio_seconds,
    duration_tokens,
    speech_output_tokens,
)
from backend.relay.convert.multipart import Form
from backend.relay.errors import RelayError, bad_request
from backend.services.billing import Pricing

F = RelayFormat
IMAGE_FORMATS = frozenset({F.OPENAI_IMAGES, F.OPENAI_IMAGE_EDITS, F.OPENAI_IMAGE_VARIATIONS})
STT_FORMATS = frozenset({F.OPENAI_AUDIO_TRANSCRIPTIONS, F.OPENAI_AUDIO_TRANSLATIONS})
# formats whose body is a multipart form (image edits may also come as JSON)
MULTIPART_FORMATS = frozenset({F.OPENAI_IMAGE_EDITS, F.OPENAI_IMAGE_VARIATIONS, *STT_FORMATS})
MEDIA_FORMATS = IMAGE_FORMATS | STT_FORMATS | {F.OPENAI_AUDIO_SPEECH, F.OPENAI_MODERATIONS, F.OPENAI_EDITS, F.RERANK}
DEFAULT_MODELS: dict[RelayFormat, str] = {
    F.OPENAI_IMAGES: "dall-e-3",
    F.OPENAI_IMAGE_EDITS: "dall-e-2",
    F.OPENAI_IMAGE_VARIATIONS: "dall-e-2",
    F.OPENAI_AUDIO_SPEECH: "tts-1",
    F.OPENAI_AUDIO_TRANSCRIPTIONS: "whisper-1",
    F.OPENAI_AUDIO_TRANSLATIONS: "whisper-1",
    F.OPENAI_MODERATIONS: "text-moderation-stable",
}
DALLE2_SIZES = ("256x256", "512x512", "1024x1024")
DALLE3_SIZES = ("1024x1024", "1024x1792", "1792x1024")
WIDE_SIZES = ("1024x1792", "1792x1024")
MAX_IMAGES = 128  # new-api sets none; no provider makes more in one call


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def image_count(body: Mapping[str, Any]) -> int:
    """`n` (a JSON int or a form's text); 1 when absent or 0, as new-api defaults it."""
    raw = body.get("n")
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    return raw if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0 else 1


def image_price_ratio(model: str, size: str, quality: str) -> float:
    """new-api's size × quality multiplier for priced image models (1 outside dall-e)."""
    if not model.startswith("dall-e"):
        return 1.0
    size_ratio = {"256x256": 0.4, "512x512": 0.45, "1024x1024": 1.0}.get(size, 2.0 if size in WIDE_SIZES else 1.0)
    quality_ratio = 1.0
    if model == "dall-e-3" and quality == "hd":
        quality_ratio = 1.5 if size in WIDE_SIZES else 2.0
    return size_ratio * quality_ratio


def _check_image(fmt: RelayFormat, model: str, body: dict[str, Any]) -> None:
    size = _text(body.get("size"))
    if "×" in size:
        raise bad_request("size an unexpected error occurred in the parameter, please use 'x' instead of the "
                          "multiplication sign '×'", code="invalid_request")
    raw_n = body.get("n")
    if raw_n is not None and not (isinstance(raw_n, int) and not isinstance(raw_n, bool) and 0 <= raw_n <= MAX_IMAGES) \
            and not (isinstance(raw_n, str) and raw_n.strip().isdigit() and int(raw_n) <= MAX_IMAGES):
        raise bad_request(f"n must be an integer from 1 to {MAX_IMAGES}", code="invalid_request")
    if fmt == F.OPENAI_IMAGES:
        if model in ("dall-e-2", "dall-e") and size and size not in DALLE2_SIZES:
            raise bad_request("size must be one of 256x256, 512x512, or 1024x1024 for dall-e-2 or dall-e",
                              code="invalid_request")
        if model == "dall-e-3" and size and size not in DALLE3_SIZES:
            raise bad_request("size must be one of 1024x1024, 1024x1792 or 1792x1024 for dall-e-3",
                              code="invalid_request")
    if fmt != F.OPENAI_IMAGE_VARIATIONS and not _text(body.get("prompt")):
        raise bad_request("prompt is required", code="invalid_request")


def check(fmt: RelayFormat, model: str, body: dict[str, Any], form: Form | None) -> None:
    """400 for what new-api refuses before pricing; the defaults new-api fills in (size, quality)
    are written into `body` for pricing and logs only (the upstream gets the caller's body)."""
    if fmt in IMAGE_FORMATS:
        _check_image(fmt, model, body)
        if form is not None and not any(f.name.startswith("image") for f in form.files):
            raise bad_request("image is required", code="invalid_request")
    elif fmt == F.OPENAI_AUDIO_SPEECH:
        if not _text(body.get("input")):
            raise bad_request("input is required", code="invalid_request")
    elif fmt in STT_FORMATS:
        if form is None or not any(f.name == "file" for f in form.files):
            raise bad_request("file is required", code="invalid_request")
    elif fmt == F.RERANK:
        if not _text(body.get("query")) or not isinstance(body.get("documents"), list) or not body["documents"]:
            raise bad_request("query and documents are required", code="invalid_request")
    elif fmt == F.OPENAI_MODERATIONS and body.get("input") in (None, "", []):
        raise bad_request("input is required", code="invalid_request")


def _documents_text(documents: Any) -> str:
    parts: list[str] = []
    for doc in documents if isinstance(documents, list) else ():
        if isinstance(doc, str):
            parts.append(doc)
        elif isinstance(doc, Mapping) and isinstance(doc.get("text"), str):
            parts.append(doc["text"])
    return "".join(parts)


def _stt_tokens(form: Form | None) -> int:
    total = 0
    for upload in form.files if form is not None else ():
        if upload.name != "file":
            continue
        try:
            total += duration_tokens(audio_seconds(upload.filename, upload.data))
        except AudioFormatError as exc:
            raise bad_request(f"error getting audio duration: {exc}", code="invalid_request") from exc
    return total


def prompt_tokens(fmt: RelayFormat, model: str, body: Mapping[str, Any], form: Form | None) -> int | None:
    """The local prompt count for a media format (None for other formats)."""
    if fmt in STT_FORMATS:
        return _stt_tokens(form)  # what is billed, so counted even with CountToken off
    if fmt == F.OPENAI_AUDIO_SPEECH:
        text = _text(body.get("input"))
        return token_counter.count_text(model, text) if "gpt" in model else len(text)
    if fmt in IMAGE_FORMATS:
        return len(_text(body.get("prompt")))  # sizes the reservation only, as new-api's len(prompt)
    if not token_counter.counting_enabled():
        return 0 if fmt in MEDIA_FORMATS else None
    if fmt == F.OPENAI_MODERATIONS:
        return token_counter.count_input(model, body.get("input"))
    if fmt == F.OPENAI_EDITS:
        return token_counter.count_text(model, _text(body.get("instruction")) + _text(body.get("input")))
    if fmt == F.RERANK:
        return token_counter.count_text(model, _text(body.get("query")) + _documents_text(body.get("documents")))
    return None


def priced(fmt: RelayFormat, model: str, body: Mapping[str, Any], pricing: Pricing) -> Pricing:
    """Images on a fixed price cost price × size × quality × n (new-api resets the model price)."""
    if fmt not in IMAGE_FORMATS or pricing.model_price is None:
        return pricing
    ratio = image_price_ratio(model, _text(body.get("size")), _text(body.get("quality")))
    return dataclasses.replace(pricing, model_price=pricing.model_price * (ratio * float(image_count(body))))


def final_usage(fmt: RelayFormat, body: Mapping[str, Any], reported: Usage | None, counted: int) -> Usage | None:
    """What to bill for a whole reply of a media format; None to keep the pipeline's own rule."""
    if fmt in IMAGE_FORMATS:
        usage = reported or Usage()
        if usage.prompt_tokens == 0:
            usage = dataclasses.replace(usage, prompt_tokens=image_count(body))
        return usage
    if fmt == F.OPENAI_AUDIO_SPEECH:
        return Usage(prompt_tokens=counted)
    if fmt in STT_FORMATS:
        return reported if reported is not None else Usage(prompt_tokens=counted)
    return None


def speech_usage(body: Mapping[str, Any], counted: int, audio: bytes | None, size: int) -> Usage:
    """A whole speech reply, as the newest new-api bills it: the input as the prompt (`counted`),
    the audio's length as the completion. `audio` None: more was sent than the relay keeps to
    measure, so `size` bytes are charged a token per started KB, new-api's fallback."""
    if audio is None:
        return Usage(prompt_tokens=counted, completion_tokens=math.ceil(size / 1000))
    return Usage(prompt_tokens=counted, completion_tokens=speech_output_tokens(_text(body.get("response_format")), audio))


def log_note(fmt: RelayFormat, model: str, body: Mapping[str, Any]) -> str:
    """new-api's image log detail: `大小 1024x1024, 品质 standard`."""
    if fmt not in IMAGE_FORMATS:
        return ""
    size = _text(body.get("size")) or ("1024x1024" if model.startswith("dall-e") else "")
    quality = "hd" if body.get("quality") == "hd" else "standard"
    return f"大小 {size}, 品质 {quality}"


def refuse_non_multipart(fmt: RelayFormat) -> RelayError:
    return bad_request(f"{fmt.value} requests must be multipart/form-data", code="invalid_request")
