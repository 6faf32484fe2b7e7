"""The prompt's token count: estimated to size a reservation, counted exactly when billing needs it.

OpenAI-format calls reserve on an estimate instead of a count: a token is at least ~3 bytes of
the JSON body (English ~4 characters, CJK 3 bytes a character, plus the JSON around them), so
this rarely under-sizes, and short prompts fall under PreConsumedQuota's floor anyway. The
estimate only sizes the reservation: the settle bills the upstream's usage, and when upstream
reports none the prompt is counted exactly then (`counted_prompt`). Other formats count up
front because their converted replies show the prompt count (Claude's message_start).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from backend.models.usage import Usage
from backend.relay import media, token_counter
from backend.relay.adaptors.base import RelayFormat
from backend.relay.context import RelayContext
from backend.relay.convert.responses_openai import counting_view

INLINE_COUNT_BYTES = 64 * 1024  # larger bodies are counted in a worker thread
ESTIMATED_FORMATS = frozenset({RelayFormat.OPENAI_CHAT, RelayFormat.OPENAI_COMPLETIONS, RelayFormat.OPENAI_EMBEDDINGS,
                               RelayFormat.OPENAI_RESPONSES})
BYTES_PER_TOKEN = 3


def max_tokens(body: dict[str, Any]) -> int | None:
    """The largest reply the caller allowed, under any of the formats' names for it."""
    values = [v for k in ("max_tokens", "max_completion_tokens", "max_output_tokens")
              if isinstance(v := body.get(k), int) and v > 0]
    return max(values) if values else None


def _prompt_tokens(ctx: RelayContext, body: dict[str, Any]) -> int:
    """The local prompt count: it bills a call upstream left uncounted (and sizes some reservations)."""
    counted = media.prompt_tokens(ctx.fmt, ctx.model, body, ctx.form)
    if counted is not None:
        return counted
    if ctx.fmt == RelayFormat.OPENAI_CHAT:
        return token_counter.count_chat_request(ctx.model, body)
    if ctx.fmt == RelayFormat.OPENAI_COMPLETIONS:
        return token_counter.count_prompt_input(ctx.model, body.get("prompt"))
    if ctx.fmt == RelayFormat.OPENAI_EMBEDDINGS:
        return token_counter.count_prompt_input(ctx.model, body.get("input"))
    if ctx.fmt == RelayFormat.CLAUDE_MESSAGES:
        return token_counter.count_claude_request(ctx.model, body)
    if ctx.fmt == RelayFormat.GEMINI:
        return token_counter.count_gemini_request(ctx.model, body)
    if ctx.fmt == RelayFormat.GEMINI_EMBEDDINGS:
        return token_counter.count_gemini_embed_input(ctx.model, body)
    if ctx.fmt == RelayFormat.OPENAI_RESPONSES:
        return token_counter.count_chat_request(ctx.model, counting_view(body))
    return 0


def counted_prompt(ctx: RelayContext, body: dict[str, Any] | None = None) -> int:
    """The exact prompt count, made once, on first need. Without `body`, from the body as received
    (adaptors may have edited `ctx.body` since)."""
    if not ctx.prompt_counted:
        pristine = body if body is not None else {**orjson.loads(ctx.raw), "model": ctx.model}
        ctx.prompt_tokens, ctx.prompt_counted = _prompt_tokens(ctx, pristine), True
    return ctx.prompt_tokens


async def count_prompt_off_loop(ctx: RelayContext, body: dict[str, Any] | None = None) -> None:
    """Count now, in a worker thread if the body is large: tokenising megabytes inline would stall
    every other request on this worker."""
    if not ctx.prompt_counted:
        if len(ctx.raw) > INLINE_COUNT_BYTES:
            await asyncio.to_thread(counted_prompt, ctx, body)
        else:
            counted_prompt(ctx, body)


def prompt_estimate(ctx: RelayContext) -> int:
    if not token_counter.counting_enabled():
        return 0  # what a count gives then
    return -(-len(ctx.raw) // BYTES_PER_TOKEN)


async def size_prompt(ctx: RelayContext) -> None:
    """Set `ctx.prompt_tokens` for the reservation: an estimate or an exact count (see the module)."""
    if ctx.fmt in ESTIMATED_FORMATS:
        ctx.prompt_tokens = prompt_estimate(ctx)
    else:
        await count_prompt_off_loop(ctx, ctx.body)


def local_usage(ctx: RelayContext, text: str, tool_call_tokens: int = 0) -> Usage:
    """What upstream did not report: the counted prompt and the counted reply."""
    completion = token_counter.count_completion(ctx.model, content=text)
    if token_counter.counting_enabled():
        completion += tool_call_tokens
    return Usage(prompt_tokens=counted_prompt(ctx), completion_tokens=completion)
