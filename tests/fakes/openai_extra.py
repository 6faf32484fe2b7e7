"""The fake upstream's OpenAI media and utility endpoints: images, audio, moderations, rerank."""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse

from tests.fakes import openai_wire as ow

Prelude = Callable[[Request], Awaitable[tuple[Any, str, Response | None]]]
SPEECH_BYTES = b"ID3\x04\x00fake-mp3-audio"
SPEECH_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "opus": "audio/ogg", "aac": "audio/aac",
                "flac": "audio/flac", "pcm": "audio/pcm"}  # fmt: skip
SPEECH_CHUNKS = 4  # speech bodies come in this many chunks (a relay must pass them all, unchanged)
TRANSCRIBE_USAGE = {"type": "tokens", "input_tokens": 40, "output_tokens": 12, "total_tokens": 52,
                    "input_token_details": {"text_tokens": 0, "audio_tokens": 40}}  # fmt: skip
SRT = "1\n00:00:00,000 --> 00:00:01,500\n{text}\n"
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n{text}\n"
IMAGE_URL = "https://images.invalid/fake.png"
IMAGE_B64 = "iVBORw0KGgo="
MODERATION_CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit", "illicit/violent",
    "self-harm", "self-harm/instructions", "self-harm/intent", "sexual", "sexual/minors", "violence",
    "violence/graphic",
)  # fmt: skip


SECONDS_PER_CHARACTER = 0.25  # a wav reply plays a quarter second per input character


def speech_audio(fmt: str, text: str) -> bytes:
    """The fake's speech: a real WAV (silence, its length from the text) when wav is asked,
    otherwise bytes no decoder can read (the relay must charge those by size)."""
    if fmt != "wav":
        return SPEECH_BYTES + text.encode()
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * SECONDS_PER_CHARACTER * len(text)))
    return buf.getvalue()


def install(app: FastAPI, prelude: Prelude) -> None:
    async def images(request: Request) -> Response:
        body, _, early = await prelude(request)
        if early is not None:
            return early
        files = body.get("_files", {})
        variation = request.url.path.endswith("/variations")
        if not body.get("prompt") and not variation:
            return JSONResponse(ow.error_body(400, "'prompt' is a required property"), 400)
        if (variation or request.url.path.endswith("/edits")) and not any(k.startswith("image") for k in files):
            return JSONResponse(ow.error_body(400, "'image' is a required property"), 400)
        n = int(body.get("n") or 1)
        item = {"b64_json": IMAGE_B64} if body.get("response_format") == "b64_json" else {"url": IMAGE_URL}
        out: dict[str, Any] = {
            "created": int(time.time()),
            "data": [{**item, "revised_prompt": body.get("prompt", "")} for _ in range(n)],
        }
        if str(body.get("model", "")).startswith("gpt-image"):
            out["usage"] = {"input_tokens": 10, "output_tokens": 100, "total_tokens": 110,
                            "input_tokens_details": {"text_tokens": 10, "image_tokens": 0}}  # fmt: skip
        return JSONResponse(out)

    async def speech(request: Request) -> Response:
        body, _, early = await prelude(request)
        if early is not None:
            return early
        if not body.get("input") or not body.get("voice"):
            return JSONResponse(ow.error_body(400, "'input' and 'voice' are required"), 400)
        fmt = body.get("response_format") or "mp3"
        audio = speech_audio(fmt, body["input"])

        async def chunks():
            step = -(-len(audio) // SPEECH_CHUNKS)
            for i in range(0, len(audio), step):
                yield audio[i : i + step]

        return StreamingResponse(chunks(), media_type=SPEECH_TYPES.get(fmt, "audio/mpeg"))

    async def transcription(request: Request) -> Response:
        body, _, early = await prelude(request)
        if early is not None:
            return early
        if "file" not in body.get("_files", {}):
            return JSONResponse(ow.error_body(400, "'file' is a required property"), 400)
        fmt = body.get("response_format") or "json"
        if fmt == "text":
            return PlainTextResponse(ow.REPLY_TEXT)
        if fmt in ("srt", "vtt"):
            return PlainTextResponse((SRT if fmt == "srt" else VTT).format(text=ow.REPLY_TEXT))
        out: dict[str, Any] = {"text": ow.REPLY_TEXT}
        if fmt == "verbose_json":
            out.update({"task": "transcribe", "language": "english", "duration": 1.5, "segments": []})
        if "transcribe" in str(body.get("model", "")):
            out["usage"] = TRANSCRIBE_USAGE
        return JSONResponse(out)

    async def moderations(request: Request) -> Response:
        body, _, early = await prelude(request)
        if early is not None:
            return early
        raw = body.get("input")
        inputs = raw if isinstance(raw, list) else [raw]
        result = {
            "flagged": False,
            "categories": dict.fromkeys(MODERATION_CATEGORIES, False),
            "category_scores": dict.fromkeys(MODERATION_CATEGORIES, 0.0001),
            "category_applied_input_types": {c: ["text"] for c in MODERATION_CATEGORIES},
        }
        return JSONResponse(
            {
                "id": "modr-fake",
                "model": body.get("model") or "omni-moderation-latest",
                "results": [result] * len(inputs),
            }
        )

    async def rerank(request: Request) -> Response:
        body, _, early = await prelude(request)
        if early is not None:
            return early
        docs = body.get("documents") or []
        results = [{"index": i, "relevance_score": round(1 - i / (len(docs) + 1), 4), "document": {"text": d}}
                   for i, d in enumerate(docs)]  # fmt: skip
        top = body.get("top_n")
        if request.url.path.startswith("/v2"):  # Cohere: billed in search units, no token usage
            return JSONResponse({"id": "rr-fake", "results": [{k: r[k] for k in ("index", "relevance_score")}
                                                              for r in (results[:top] if top else results)],
                                 "meta": {"billed_units": {"search_units": 1}}})  # fmt: skip
        return JSONResponse({"model": body.get("model", ""), "results": results[:top] if top else results,
                             "usage": {"total_tokens": ow.PROMPT_TOKENS}})  # fmt: skip

    async def edits(request: Request) -> Response:
        body, _, early = await prelude(request)
        if early is not None:
            return early
        if not body.get("instruction"):
            return JSONResponse(ow.error_body(400, "'instruction' is a required property"), 400)
        return JSONResponse({"object": "edit", "created": int(time.time()),
                             "choices": [{"text": ow.REPLY_TEXT, "index": 0}],
                             "usage": {"prompt_tokens": ow.PROMPT_TOKENS, "completion_tokens": ow.COMPLETION_TOKENS,
                                       "total_tokens": ow.PROMPT_TOKENS + ow.COMPLETION_TOKENS}})  # fmt: skip

    for prefix in ("/v1", "/openai/deployments/{deployment}"):
        app.add_api_route(prefix + "/images/generations", images, methods=["POST"])
        app.add_api_route(prefix + "/images/edits", images, methods=["POST"])
        app.add_api_route(prefix + "/images/variations", images, methods=["POST"])
        app.add_api_route(prefix + "/audio/speech", speech, methods=["POST"])
        app.add_api_route(prefix + "/audio/transcriptions", transcription, methods=["POST"])
        app.add_api_route(prefix + "/audio/translations", transcription, methods=["POST"])
    app.add_api_route("/v1/moderations", moderations, methods=["POST"])
    app.add_api_route("/v1/rerank", rerank, methods=["POST"])
    app.add_api_route("/v2/rerank", rerank, methods=["POST"])
    app.add_api_route("/v1/edits", edits, methods=["POST"])
