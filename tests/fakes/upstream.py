"""A fake upstream provider speaking OpenAI and Anthropic wire formats, for relay tests.

    with FakeUpstream() as fake:               # serves on a loopback port (LiveServer)
        ... point a channel's base_url at fake.url ...
        fake.last.json, fake.last.path, fake.last.headers["authorization"]

Behaviour is picked by the model name (or the `x-fake-mode` header, which wins):
- `fail-<code>` answers <code> with a provider error object (`error.message`, or Claude's
  `{"type":"error","error":{...}}` on /v1/messages); `fail-<code>-plain` answers `{"message": ...}`
  (no error object), `fail-<code>-empty` an empty body, `fail-<code>-text` an HTML page,
  `fail-<code>-leaky` an error object whose message quotes the request's key and an internal URL.
- `hang` never answers until the fake is closed or its client goes away; `hang-stream` sends one
  chunk, then hangs.
- `cut-stream` sends a few chunks, then ends its body cleanly without the end marker ([DONE],
  finish_reason or message_stop), as an upstream whose process died mid-reply.
- `slow-stream` pauses between chunks; `no-done` ends an OpenAI stream without `[DONE]`.
- `bad-json` answers 200 with a broken body (streams: one broken event among good ones).
- `stream-error` sends two chunks, then an error event.
- `no-usage` reports no usage; `usage-last` puts usage on the finish chunk whatever
  stream_options says; `reasoner` adds reasoning_content; `cache` adds cache tokens.
`x-fake-usage: P,C` sets the reported prompt/completion tokens. `queue_failure()` makes the
next N requests fail, `fail_keys[key] = status` fails every request made with that key.
Requests a real provider would reject (no auth, stream_options without stream, max_tokens on o1,
Claude turns that do not alternate...) get the provider's 400/401.
"""

from __future__ import annotations

import asyncio
import base64
import re
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from tests.conftest import LiveServer
from tests.fakes import anthropic_wire as aw
from tests.fakes import bedrock_wire as bw
from tests.fakes import gemini_wire as gw
from tests.fakes import openai_extra, openai_realtime
from tests.fakes import openai_wire as ow
from tests.fakes import responses_wire as rw

HANG_LIMIT_S = 120.0
SLOW_STREAM_PAUSE_S = 0.05
_FAIL = re.compile(r"fail-(\d{3})(-plain|-empty|-text|-leaky)?")
LEAKY_URL = "http://10.1.2.3:8080/internal/v1/chat?key="


@dataclass
class RecordedRequest:
    method: str
    path: str
    url: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def json(self) -> Any:
        """The body as JSON (fails loudly for a multipart body: use `body` then)."""
        return orjson.loads(self.body) if self.body else None


@dataclass
class _Failure:
    status: int
    variant: str = ""  # "", "-plain", "-empty", "-text", "-leaky"
    key: str = ""  # the key the request carried (the leaky variant quotes it)


@dataclass
class FakeUpstream:
    requests: list[RecordedRequest] = field(default_factory=list)
    fail_keys: dict[str, int] = field(default_factory=dict)
    stored: dict[str, dict] = field(default_factory=dict)  # Responses kept for previous_response_id
    url: str = ""

    def __post_init__(self) -> None:
        self._queue: deque[_Failure] = deque()
        self._release = threading.Event()
        self._server: LiveServer | None = None
        self.app = _build_app(self)

    # -- test helpers ----------------------------------------------------------------------

    @property
    def last(self) -> RecordedRequest:
        assert self.requests, "the fake upstream has received no request"
        return self.requests[-1]

    def queue_failure(self, status: int, times: int = 1, variant: str = "") -> None:
        self._queue.extend(_Failure(status, variant) for _ in range(times))

    def reset(self) -> None:
        self.requests.clear()
        self._queue.clear()
        self.fail_keys.clear()
        self.stored.clear()

    def __enter__(self) -> FakeUpstream:
        self._server = LiveServer(self.app).__enter__()
        self.url = self._server.url
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()  # let hanging handlers finish so the server can stop
        if self._server is not None:
            self._server.__exit__(*exc)

    # -- internals -------------------------------------------------------------------------

    async def hang(self, request: Request | None = None) -> None:
        """Until the fake closes, or (given the request) its client disconnects."""
        loop_deadline = asyncio.get_running_loop().time() + HANG_LIMIT_S
        while not self._release.is_set() and asyncio.get_running_loop().time() < loop_deadline:
            if request is not None and await request.is_disconnected():
                return
            await asyncio.sleep(0.02)

    def take_failure(self, key: str) -> _Failure | None:
        if key and key in self.fail_keys:
            return _Failure(self.fail_keys[key])
        return self._queue.popleft() if self._queue else None


@pytest.fixture
def fake_upstream() -> Iterator[FakeUpstream]:
    """Import this fixture into a conftest (or a test module) to get a running fake."""
    with FakeUpstream() as fake:
        yield fake


# -- helpers ----------------------------------------------------------------------------------


def _mode(request: Request, body: Any) -> str:
    header = request.headers.get("x-fake-mode")
    if header:
        return header
    return body.get("model", "") if isinstance(body, dict) and isinstance(body.get("model"), str) else ""


def _usage_numbers(request: Request) -> tuple[int, int]:
    raw = request.headers.get("x-fake-usage")
    if raw:
        p, _, c = raw.partition(",")
        return int(p), int(c)
    return ow.PROMPT_TOKENS, ow.COMPLETION_TOKENS


def _key(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    if auth.startswith("AWS4-HMAC-SHA256"):  # SigV4: the access key names the caller
        match = re.search(r"Credential=([^/,]+)/", auth)
        return match.group(1) if match else ""
    return (
        request.headers.get("x-api-key")
        or request.headers.get("api-key")
        or request.headers.get("x-goog-api-key")
        or request.query_params.get("key")
        or ""
    )


def _failure_response(fail: _Failure, claude: bool | str) -> Response:
    message = f"fake failure {fail.status}"
    if fail.variant == "-leaky":
        message = (f"Incorrect API key provided: Bearer {fail.key}. The proxy at {LEAKY_URL}{fail.key} "
                   f"(backend 10.1.2.4:9000) refused it.")
    if fail.variant == "-plain":
        return JSONResponse({"message": message}, fail.status)
    if fail.variant == "-empty":
        return Response(b"", fail.status)
    if fail.variant == "-text":
        return Response(b"<html><body>Bad Gateway</body></html>", fail.status, media_type="text/html")
    if claude == "gemini":
        return JSONResponse([gw.error_body(fail.status, message)], fail.status)
    body = aw.error_body(fail.status, message) if claude else ow.error_body(fail.status, message)
    return JSONResponse(body, fail.status)


def _sse(frames: list[bytes], fake: FakeUpstream, mode: str) -> StreamingResponse:
    async def gen() -> AsyncIterator[bytes]:
        for i, frame in enumerate(frames):
            yield frame
            if "slow-stream" in mode:
                await asyncio.sleep(SLOW_STREAM_PAUSE_S)
            if "hang-stream" in mode and i == 0:
                await fake.hang()
                return

    return StreamingResponse(gen(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


def _data(obj: Any) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


def _event(name: str, obj: Any) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(obj) + b"\n\n"


async def _prelude(
    fake: FakeUpstream, request: Request, claude: bool | str, model: str = ""
) -> tuple[Any, str, Response | None]:
    """Record the request, then decide on auth, scripted failures and hangs."""
    raw = await request.body()
    fake.requests.append(
        RecordedRequest(
            request.method,
            request.url.path,
            str(request.url),
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            raw,
        )
    )
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()  # Starlette replays the body read above
        body = {k: v for k, v in form.items() if isinstance(v, str)}
        body["_files"] = {k: v.filename for k, v in form.items() if not isinstance(v, str)}
    else:
        try:
            body = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            body = None
    mode = _mode(request, body) or model
    key = _key(request)
    if not key:
        return body, mode, _failure_response(_Failure(401), claude)
    fail = fake.take_failure(key)
    if fail is None:
        match = _FAIL.search(mode)
        if match:
            fail = _Failure(int(match.group(1)), match.group(2) or "", key)
    if fail is not None:
        return body, mode, _failure_response(fail, claude)
    if "hang" in mode and "hang-stream" not in mode:
        await fake.hang(request)
        return body, mode, JSONResponse(ow.error_body(504, "fake hang released"), 504)
    if body is None or not isinstance(body, dict):
        error = aw.error_body(400, "invalid JSON body") if claude else ow.error_body(400, "invalid JSON body")
        return body, mode, JSONResponse(error, 400)
    return body, mode, None


def _openai_400(message: str) -> JSONResponse:
    return JSONResponse(ow.error_body(400, message), 400)


def _codex_problem(request: Request, body: dict) -> str | None:
    """What ChatGPT's Codex backend rejects (new-api's Codex adaptor exists to avoid these)."""
    if not request.headers.get("chatgpt-account-id"):
        return "chatgpt-account-id header is required"
    if not isinstance(body.get("instructions"), str):
        return "Instructions are required"
    if body.get("store") is not False:
        return "Store must be set to false"
    if body.get("stream") is not True:
        return "Stream must be set to true"
    for name in ("max_output_tokens", "temperature"):
        if name in body:
            return f"Unsupported parameter: {name}"
    return None


def _openai_checks(body: dict, chat: bool) -> JSONResponse | None:
    if "stream_options" in body and body.get("stream") is not True:
        return _openai_400("The 'stream_options' parameter is only allowed when 'stream' is enabled.")
    model = body.get("model", "")
    if chat:
        if not isinstance(body.get("messages"), list) or not body["messages"]:
            return _openai_400("'messages' is a required property")
        if model.startswith(("o1", "o3", "o4")) and "max_tokens" in body:
            return _openai_400(
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead."
            )
    return None


# -- app --------------------------------------------------------------------------------------


def _build_app(fake: FakeUpstream) -> FastAPI:
    app = FastAPI()

    async def chat(request: Request) -> Response:
        body, mode, early = await _prelude(fake, request, claude=False)
        if early is not None:
            return early
        checked = _openai_checks(body, chat=True)
        if checked is not None:
            return checked
        p, c = _usage_numbers(request)
        usage = None if "no-usage" in mode else ow.usage(p, c, ow.CACHED_TOKENS if "cache" in mode else 0)
        reasoning = "reason" in mode
        if body.get("stream") is not True:
            if "bad-json" in mode:
                return Response(b'{"id": "chatcmpl-fake", "choices": [', media_type="application/json")
            return JSONResponse(ow.chat_completion(body, reasoning=reasoning, usage_obj=usage))
        include = (body.get("stream_options") or {}).get("include_usage") is True
        usage_mode = "last" if "usage-last" in mode else ("separate" if include else "none")
        chunks = ow.chat_chunks(body, reasoning=reasoning, usage_obj=usage, usage_mode=usage_mode)
        frames = [_data(c) for c in chunks]
        if "bad-json" in mode:
            frames.insert(2, b"data: {not json\n\n")
        if "stream-error" in mode:
            frames = frames[:2] + [_data(ow.error_body(500, "fake stream failure"))]
        elif "cut-stream" in mode:
            frames = frames[:2]  # role chunk and the first piece: no finish_reason, no [DONE]
        elif "no-done" not in mode:
            frames.append(b"data: [DONE]\n\n")
        return _sse(frames, fake, mode)

    async def completions(request: Request) -> Response:
        body, mode, early = await _prelude(fake, request, claude=False)
        if early is not None:
            return early
        checked = _openai_checks(body, chat=False)
        if checked is not None:
            return checked
        p, c = _usage_numbers(request)
        usage = None if "no-usage" in mode else ow.usage(p, c)
        if body.get("stream") is not True:
            return JSONResponse(ow.completion(body, usage))
        include = (body.get("stream_options") or {}).get("include_usage") is True
        usage_mode = "last" if "usage-last" in mode else ("separate" if include else "none")
        frames = [_data(c) for c in ow.completion_chunks(body, usage, usage_mode)]
        return _sse([*frames, b"data: [DONE]\n\n"], fake, mode)

    async def embeddings(request: Request) -> Response:
        body, mode, early = await _prelude(fake, request, claude=False)
        if early is not None:
            return early
        if "input" not in body:
            return _openai_400("'input' is a required property")
        return JSONResponse(ow.embeddings(body, _usage_numbers(request)[0]))

    async def ollama_embed(request: Request) -> Response:
        body, mode, early = await _prelude(fake, request, claude=False)
        if early is not None:
            return early
        inputs = body.get("input") if isinstance(body.get("input"), list) else [body.get("input")]
        return JSONResponse(
            {
                "model": body.get("model", ""),
                "embeddings": [ow.EMBEDDING for _ in inputs],
                "total_duration": 1000,
                "load_duration": 10,
                "prompt_eval_count": _usage_numbers(request)[0],
            }
        )

    async def responses(request: Request) -> Response:
        body, mode, early = await _prelude(fake, request, claude=False)
        if early is not None:
            return early
        problem = rw.validate(body) or (_codex_problem(request, body) if "/codex/" in request.url.path else None)
        if problem:
            return _openai_400(problem)
        previous = body.get("previous_response_id")
        if previous and previous not in fake.stored:
            error = {"message": f"Previous response with id '{previous}' not found.", "type": "invalid_request_error",
                     "param": "previous_response_id", "code": "previous_response_not_found"}
            return JSONResponse({"error": error}, 400)
        p, c = _usage_numbers(request)
        final = rw.reply(body, f"resp_fake_{len(fake.requests)}", p, c, mode)
        if body.get("store", True) is not False:
            fake.stored[final["id"]] = final
        if body.get("stream") is not True:
            return JSONResponse(final)
        return _sse([_event(kind, payload) for kind, payload in rw.events(body, final, mode)], fake, mode)

    async def responses_compact(request: Request) -> Response:
        body, mode, early = await _prelude(fake, request, claude=False)
        if early is not None:
            return early
        problem = rw.validate(body)
        if problem or body.get("stream"):
            return _openai_400(problem or "Unknown parameter: 'stream'.")
        return JSONResponse(rw.compacted(body, *_usage_numbers(request)))

    async def anthropic_prelude(request: Request, check: Callable[[Any], str | None]) -> tuple[Any, str, Response | None]:
        """The prelude, then Anthropic's version header and the body `check`."""
        body, mode, early = await _prelude(fake, request, claude=True)
        if early is None and not request.headers.get("anthropic-version"):
            early = JSONResponse(aw.error_body(400, "anthropic-version: header is required"), 400)
        problem = check(body) if early is None else None
        return body, mode, JSONResponse(aw.error_body(400, problem), 400) if problem else early

    async def messages(request: Request) -> Response:
        body, mode, early = await anthropic_prelude(request, aw.validate)
        if early is not None:
            return early
        p, c = _usage_numbers(request)
        if body.get("stream") is not True:
            if "bad-json" in mode:
                return Response(b'{"type": "message", "content": [', media_type="application/json")
            return JSONResponse(aw.message(body, p, c))
        frames = [_event(name, payload) for name, payload in aw.events(body, p, c)]
        if "stream-error" in mode:
            err = aw.error_body(529, "Overloaded")
            frames = [*frames[:3], _event("error", err)]
        elif "cut-stream" in mode:  # message_start, ping, the text block's start and first delta
            frames = frames[:4]
        return _sse(frames, fake, mode)

    async def count_tokens(request: Request) -> Response:
        body, _, early = await anthropic_prelude(request, aw.count_problem)
        return early or JSONResponse({"input_tokens": aw.counted(body)})

    async def models(request: Request) -> Response:
        _, _, early = await _prelude(fake, request, claude=False)
        return early or JSONResponse(ow.models_list())

    async def gemini(request: Request, version: str, target: str) -> Response:
        model, _, action = target.partition(":")
        body, mode, early = await _prelude(fake, request, "gemini", model)
        if early is not None:
            return early
        p, c = _usage_numbers(request)
        if action == "predict":  # Imagen
            instances = body.get("instances") or []
            if not instances or not instances[0].get("prompt"):
                return JSONResponse(gw.error_body(400, "instances[0].prompt is required"), 400)
            count = 0 if "blocked" in mode else (body.get("parameters") or {}).get("sampleCount", 1)
            image = {"bytesBase64Encoded": openai_extra.IMAGE_B64, "mimeType": "image/png"}
            return JSONResponse({"predictions": [image] * count})
        if action == "batchEmbedContents":
            reply, problem = gw.embeddings(body, model)
            return JSONResponse(reply) if reply else JSONResponse(gw.error_body(400, problem), 400)
        if action == "embedContent":
            if "model" in body or not (body.get("content") or {}).get("parts"):
                return JSONResponse(gw.error_body(400, "* EmbedContentRequest.content: content is not specified"), 400)
            return JSONResponse({"embedding": {"values": gw.EMBEDDING}})
        problem = gw.validate(body)
        if problem:
            return JSONResponse(gw.error_body(400, problem), 400)
        if "blocked" in mode:
            return JSONResponse(gw.blocked(p))
        if action == "generateContent":
            return JSONResponse(gw.reply(body, model, p, c))
        if action == "streamGenerateContent" and request.query_params.get("alt") == "sse":
            return _sse(
                [b"data: " + orjson.dumps(x) + b"\r\n\r\n" for x in gw.chunks(body, model, p, c)], fake, mode
            )
        return JSONResponse(gw.error_body(404, f"unsupported action {action}"), 404)

    openai_extra.install(app, lambda request: _prelude(fake, request, claude=False))
    openai_realtime.install(app, lambda method, path, query, headers: fake.requests.append(
        RecordedRequest(method, path, path, query, headers, b"")))

    async def bedrock(request: Request, model_id: str, action: str) -> Response:
        body, mode, early = await _prelude(fake, request, claude=False, model=model_id)
        if early is not None:  # Bedrock errors carry only a message
            return JSONResponse({"message": f"fake failure {early.status_code}"}, early.status_code)
        raw_url = f"{request.url.scheme}://{request.headers['host']}{request.scope['raw_path'].decode()}"
        headers = {k.lower(): v for k, v in request.headers.items()}
        problem = bw.check_signature("POST", raw_url, headers, await request.body())
        if problem:
            return JSONResponse({"message": problem}, 403)
        if action == "count-tokens":
            return bedrock_count(body, model_id)
        if "model" in body or "stream" in body:
            return JSONResponse(
                {"message": "Malformed input request: extraneous key [model] is not permitted"}, 400
            )
        if body.get("anthropic_version") != "bedrock-2023-05-31":
            return JSONResponse({"message": "Malformed input request: anthropic_version is required"}, 400)
        claude_body = {k: v for k, v in body.items() if k not in ("anthropic_version", "anthropic_beta")}
        problem = aw.validate({**claude_body, "model": model_id})
        if problem:
            return JSONResponse({"message": problem}, 400)
        p, c = _usage_numbers(request)
        if action == "invoke":
            return JSONResponse(aw.message({**claude_body, "model": model_id}, p, c))
        events = aw.events({**claude_body, "model": model_id}, p, c)
        frames = [bw.chunk_frame(payload) for name, payload in events if name != "ping"]
        if "stream-error" in mode:
            frames = [*frames[:2], bw.exception_frame("throttlingException", "Too many tokens, please wait.")]
        return StreamingResponse(iter(frames), media_type="application/vnd.amazon.eventstream")

    def bedrock_count(body: dict, model_id: str) -> Response:
        """CountTokens: a bare foundation model, and the InvokeModel body base64-encoded."""
        if not model_id.startswith("anthropic."):
            return JSONResponse({"message": "The provided model doesn't support counting tokens."}, 400)
        try:
            invoke = orjson.loads(base64.b64decode(body["input"]["invokeModel"]["body"]))
        except (KeyError, TypeError, ValueError):
            return JSONResponse({"message": "input.invokeModel.body is required"}, 400)
        if invoke.get("anthropic_version") != "bedrock-2023-05-31" or "model" in invoke:
            return JSONResponse({"message": "Malformed input request: anthropic_version is required"}, 400)
        return JSONResponse({"inputTokens": aw.counted(invoke)})

    app.add_api_route("/model/{model_id}/{action}", bedrock, methods=["POST"])
    app.add_api_route("/v1/messages/count_tokens", count_tokens, methods=["POST"])
    app.add_api_route("/{version}/models/{target}", gemini, methods=["POST"])
    for prefix in ("", "/{prefix:path}"):
        app.add_api_route(prefix + "/chat/completions", chat, methods=["POST"])
        app.add_api_route(prefix + "/completions", completions, methods=["POST"])
        app.add_api_route(prefix + "/embeddings", embeddings, methods=["POST"])
        app.add_api_route(prefix + "/responses", responses, methods=["POST"])
        app.add_api_route(prefix + "/responses/compact", responses_compact, methods=["POST"])
    app.add_api_route("/v1/messages", messages, methods=["POST"])
    app.add_api_route("/api/embed", ollama_embed, methods=["POST"])
    app.add_api_route("/v1/models", models, methods=["GET"])
    return app
