"""Reading token usage out of each wire format into `Usage`.

Each reader returns None when the upstream reported nothing useful (no usage object, or zero
tokens both ways): the pipeline then counts locally, as new-api does.
"""

from __future__ import annotations

from typing import Any

from backend.models.usage import Usage


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float):
        return max(int(value), 0)
    return 0


def openai_usage(usage: Any) -> Usage | None:
    """Chat / completions / embeddings `usage` (prompt includes cached tokens)."""
    if not isinstance(usage, dict):
        return None
    prompt = _int(usage.get("prompt_tokens"))
    completion = _int(usage.get("completion_tokens"))
    if prompt == 0 and completion == 0:
        total = _int(usage.get("total_tokens"))
        if total == 0:
            return None
        prompt = total  # embeddings and rerank report only a total
    details = usage.get("prompt_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    cached = cached or _int(usage.get("prompt_cache_hit_tokens"))  # DeepSeek
    write = _int(details.get("cache_write_tokens")) if isinstance(details, dict) else 0
    return Usage(prompt, completion, min(cached, prompt), write, "openai")


def responses_usage(usage: Any) -> Usage | None:
    """/v1/responses `usage`: input_tokens (includes cached), output_tokens."""
    if not isinstance(usage, dict):
        return None
    prompt = _int(usage.get("input_tokens"))
    completion = _int(usage.get("output_tokens"))
    if prompt == 0 and completion == 0:
        return None
    details = usage.get("input_tokens_details")
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else 0
    return Usage(prompt, completion, min(cached, prompt), 0, "openai")


def claude_usage(usage: Any) -> Usage | None:
    """Claude `usage`: input_tokens excludes cache reads and writes (anthropic semantics)."""
    if not isinstance(usage, dict):
        return None
    result = Usage(
        _int(usage.get("input_tokens")),
        _int(usage.get("output_tokens")),
        _int(usage.get("cache_read_input_tokens")),
        _int(usage.get("cache_creation_input_tokens")),
        "anthropic",
    )
    if result.total_tokens == 0:
        return None
    return result


def openai_usage_dict(usage: Usage) -> dict[str, Any]:
    """A chat-completion `usage` object for clients (prompt counts every input token)."""
    prompt = usage.total_prompt_tokens
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": prompt + usage.completion_tokens,
    }
    if usage.cached_tokens or usage.cache_write_tokens:
        out["prompt_tokens_details"] = {"cached_tokens": usage.cached_tokens}
    return out


def claude_usage_dict(usage: Usage) -> dict[str, int]:
    """A Claude `usage` object for clients (input_tokens excludes the cache tokens)."""
    if usage.semantics == "anthropic":
        uncached = usage.prompt_tokens
    else:
        uncached = max(usage.prompt_tokens - usage.cached_tokens - usage.cache_write_tokens, 0)
    return {
        "input_tokens": uncached,
        "output_tokens": usage.completion_tokens,
        "cache_read_input_tokens": usage.cached_tokens,
        "cache_creation_input_tokens": usage.cache_write_tokens,
    }
