"""Token usage of one upstream call, as billing consumes it.

It lives in the bottom layer because both sides speak it: adaptors and converters (relay) produce
it, billing (services) prices it, and services never import the relay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(slots=True)
class Usage:
    """`semantics` says whether `prompt_tokens` already includes the cache tokens.

    "openai": prompt_tokens includes cached_tokens (and cache_write_tokens).
    "anthropic": prompt_tokens excludes both (Claude's `input_tokens`).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    semantics: Literal["openai", "anthropic"] = "openai"

    @property
    def total_prompt_tokens(self) -> int:
        """Every input token, cached or not, whatever the semantics (what a client is shown)."""
        if self.semantics == "anthropic":
            return self.prompt_tokens + self.cached_tokens + self.cache_write_tokens
        return self.prompt_tokens

    @property
    def total_tokens(self) -> int:
        return self.total_prompt_tokens + self.completion_tokens
