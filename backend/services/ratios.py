"""Model ratios and prices: built-in defaults for current models, overridable by the pricing options.

Units follow new-api: model ratio 1 = $2 per 1M input tokens (500000 quota = $1); a completion
ratio is output price / input price; a model price is USD per call and beats every ratio.

Each option (`ModelRatio`, `CompletionRatio`, `ModelPrice`, `CacheRatio`, `CreateCacheRatio`,
`GroupRatio`) is a JSON object laid **over** the built-in defaults, so the stored default `{}` means
"the defaults" and an admin entry wins for its model. Parsed maps are cached by the option's raw
string, so a request never parses JSON and an option change is seen on the next lookup.

Keys ending in `*` are prefix patterns (`gpt-4-gizmo-*`); the longest matching prefix wins.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import orjson

from backend.services import options

UNSET_MODEL_RATIO = 37.5  # what new-api gives an unpriced model in self-use mode

# Input price in $ per 1M tokens, halved (ratio 1 = $2 / 1M).
DEFAULT_MODEL_RATIO: dict[str, float] = {
    # OpenAI
    "gpt-4o": 1.25,
    "gpt-4o-2024-05-13": 2.5,
    "gpt-4o-2024-08-06": 1.25,
    "gpt-4o-2024-11-20": 1.25,
    "chatgpt-4o-latest": 2.5,
    "gpt-4o-mini": 0.075,
    "gpt-4o-mini-2024-07-18": 0.075,
    "gpt-4o-audio-preview": 1.25,
    "gpt-4o-realtime-preview": 2.5,
    "gpt-4o-mini-realtime-preview": 0.3,
    "gpt-4o-search-preview": 1.25,
    "gpt-4o-mini-search-preview": 0.075,
    "gpt-4o-gizmo-*": 1.25,
    "gpt-4.1": 1.0,
    "gpt-4.1-2025-04-14": 1.0,
    "gpt-4.1-mini": 0.2,
    "gpt-4.1-mini-2025-04-14": 0.2,
    "gpt-4.1-nano": 0.05,
    "gpt-4.1-nano-2025-04-14": 0.05,
    "gpt-4.5-preview": 37.5,
    "gpt-4.5-preview-2025-02-27": 37.5,
    "gpt-5": 0.625,
    "gpt-5-2025-08-07": 0.625,
    "gpt-5-chat-latest": 0.625,
    "gpt-5-codex": 0.625,
    "gpt-5-mini": 0.125,
    "gpt-5-mini-2025-08-07": 0.125,
    "gpt-5-nano": 0.025,
    "gpt-5-nano-2025-08-07": 0.025,
    "gpt-5.1": 0.625,
    "gpt-5.1-chat-latest": 0.625,
    "gpt-5.1-codex": 0.625,
    "gpt-5.1-codex-mini": 0.125,
    "o1": 7.5,
    "o1-2024-12-17": 7.5,
    "o1-preview": 7.5,
    "o1-mini": 0.55,
    "o1-pro": 75,
    "o3": 1.0,
    "o3-2025-04-16": 1.0,
    "o3-mini": 0.55,
    "o3-mini-2025-01-31": 0.55,
    "o3-pro": 10,
    "o3-deep-research": 5,
    "o4-mini": 0.55,
    "o4-mini-2025-04-16": 0.55,
    "o4-mini-deep-research": 1.0,
    "gpt-4": 15,
    "gpt-4-0613": 15,
    "gpt-4-32k": 30,
    "gpt-4-turbo": 5,
    "gpt-4-turbo-2024-04-09": 5,
    "gpt-4-turbo-preview": 5,
    "gpt-4-1106-preview": 5,
    "gpt-4-0125-preview": 5,
    "gpt-4-gizmo-*": 15,
    "gpt-3.5-turbo": 0.25,
    "gpt-3.5-turbo-0125": 0.25,
    "gpt-3.5-turbo-1106": 0.5,
    "gpt-3.5-turbo-16k": 1.5,
    "gpt-3.5-turbo-instruct": 0.75,
    "gpt-image-1": 2.5,
    "text-embedding-3-small": 0.01,
    "text-embedding-3-large": 0.065,
    "text-embedding-ada-002": 0.05,
    "text-moderation-stable": 0.1,
    "text-moderation-latest": 0.1,
    "omni-moderation-latest": 0.1,
    "whisper-1": 15,
    "tts-1": 7.5,
    "tts-1-hd": 15,
    # Anthropic
    "claude-3-haiku-20240307": 0.125,
    "claude-3-5-haiku-20241022": 0.4,
    "claude-3-5-haiku-latest": 0.4,
    "claude-3-opus-20240229": 7.5,
    "claude-3-5-sonnet-20240620": 1.5,
    "claude-3-5-sonnet-20241022": 1.5,
    "claude-3-5-sonnet-latest": 1.5,
    "claude-3-7-sonnet-20250219": 1.5,
    "claude-3-7-sonnet-latest": 1.5,
    "claude-3-7-sonnet-20250219-thinking": 1.5,
    "claude-sonnet-4-20250514": 1.5,
    "claude-sonnet-4-0": 1.5,
    "claude-sonnet-4-5-20250929": 1.5,
    "claude-sonnet-4-5": 1.5,
    "claude-opus-4-20250514": 7.5,
    "claude-opus-4-0": 7.5,
    "claude-opus-4-1-20250805": 7.5,
    "claude-opus-4-1": 7.5,
    "claude-opus-4-5-20251101": 2.5,
    "claude-opus-4-5": 2.5,
    "claude-haiku-4-5-20251001": 0.5,
    "claude-haiku-4-5": 0.5,
    # Google
    "gemini-1.5-pro": 0.625,
    "gemini-1.5-pro-latest": 0.625,
    "gemini-1.5-flash": 0.0375,
    "gemini-1.5-flash-latest": 0.0375,
    "gemini-2.0-flash": 0.05,
    "gemini-2.0-flash-001": 0.05,
    "gemini-2.0-flash-lite": 0.0375,
    "gemini-2.5-pro": 0.625,
    "gemini-2.5-pro-thinking-*": 0.625,
    "gemini-2.5-flash": 0.15,
    "gemini-2.5-flash-thinking-*": 0.15,
    "gemini-2.5-flash-nothinking": 0.15,
    "gemini-2.5-flash-lite": 0.05,
    "gemini-2.5-flash-lite-thinking-*": 0.05,
    "gemini-2.5-flash-image": 0.15,
    "gemini-3-pro-preview": 1.0,
    "gemini-embedding-001": 0.075,
    "text-embedding-004": 0.001,
    # DeepSeek
    "deepseek-chat": 0.135,
    "deepseek-reasoner": 0.275,
    "deepseek-coder": 0.135,
}

# USD per call.
DEFAULT_MODEL_PRICE: dict[str, float] = {
    "dall-e-3": 0.04,
    "imagen-3.0-generate-002": 0.03,
    "gpt-4-gizmo-*": 0.1,
    "mj_imagine": 0.1,
    "mj_variation": 0.1,
    "mj_reroll": 0.1,
    "mj_blend": 0.1,
    "mj_modal": 0.1,
    "mj_zoom": 0.1,
    "mj_shorten": 0.1,
    "mj_high_variation": 0.1,
    "mj_low_variation": 0.1,
    "mj_pan": 0.1,
    "mj_inpaint": 0,
    "mj_custom_zoom": 0,
    "mj_describe": 0.05,
    "mj_upscale": 0.05,
    "mj_upload": 0.05,
    "swap_face": 0.05,
    "suno_music": 0.1,
    "suno_lyrics": 0.01,
}

# Only what the hard-coded rules below do not already decide.
DEFAULT_COMPLETION_RATIO: dict[str, float] = {
    "gpt-image-1": 8,
}

DEFAULT_CACHE_RATIO: dict[str, float] = {
    **dict.fromkeys(("gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20", "gpt-4o-mini", "gpt-4o-mini-2024-07-18",
                     "gpt-4o-realtime-preview", "gpt-4o-mini-realtime-preview", "gpt-4.5-preview",
                     "gpt-4.5-preview-2025-02-27", "o1", "o1-2024-12-17", "o1-preview", "o1-mini", "o3-mini",
                     "o3-mini-2025-01-31"), 0.5),
    **dict.fromkeys(("gpt-4.1", "gpt-4.1-2025-04-14", "gpt-4.1-mini", "gpt-4.1-mini-2025-04-14", "gpt-4.1-nano",
                     "gpt-4.1-nano-2025-04-14", "o3", "o3-2025-04-16", "o4-mini", "o4-mini-2025-04-16"), 0.25),
    **dict.fromkeys(("gpt-5", "gpt-5-2025-08-07", "gpt-5-chat-latest", "gpt-5-codex", "gpt-5-mini",
                     "gpt-5-mini-2025-08-07", "gpt-5-nano", "gpt-5-nano-2025-08-07", "gpt-5.1", "gpt-5.1-chat-latest",
                     "gpt-5.1-codex", "gpt-5.1-codex-mini"), 0.1),
    **dict.fromkeys(("deepseek-chat", "deepseek-reasoner", "deepseek-coder"), 0.25),
    **{m: 0.1 for m in DEFAULT_MODEL_RATIO if m.startswith("claude-")},
    **dict.fromkeys(("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro-preview"), 0.25),
}

CREATE_CACHE_RATIO_DEFAULT = 1.25
DEFAULT_CREATE_CACHE_RATIO: dict[str, float] = {m: 1.25 for m in DEFAULT_MODEL_RATIO if m.startswith("claude-")}

DEFAULT_GROUP_RATIO: dict[str, float] = {"default": 1, "vip": 1, "svip": 1}

_DEFAULTS: dict[str, dict[str, float]] = {
    "ModelRatio": DEFAULT_MODEL_RATIO,
    "ModelPrice": DEFAULT_MODEL_PRICE,
    "CompletionRatio": DEFAULT_COMPLETION_RATIO,
    "CacheRatio": DEFAULT_CACHE_RATIO,
    "CreateCacheRatio": DEFAULT_CREATE_CACHE_RATIO,
    "GroupRatio": DEFAULT_GROUP_RATIO,
}


@dataclass(frozen=True, slots=True)
class _Table:
    exact: dict[str, float]
    prefixes: tuple[tuple[str, float], ...]  # longest first

    def get(self, name: str) -> float | None:
        if name in self.exact:
            return self.exact[name]
        for prefix, value in self.prefixes:
            if name.startswith(prefix):
                return value
        return None


_cache: dict[str, tuple[str, _Table]] = {}
_cache_lock = threading.Lock()


def _raw_option(key: str) -> str:
    try:
        return options.get(key)
    except Exception:  # noqa: BLE001 - an unreadable options store must not make pricing unusable
        return ""


def _numbers(raw: str) -> dict[str, float]:
    try:
        value: Any = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): float(v) for k, v in value.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _table(key: str) -> _Table:
    """The effective map of one option: defaults with the option laid over them."""
    raw = _raw_option(key)
    hit = _cache.get(key)
    if hit is not None and hit[0] == raw:
        return hit[1]
    merged = {**_DEFAULTS.get(key, {}), **_numbers(raw)}
    prefixes = sorted(((k[:-1], v) for k, v in merged.items() if k.endswith("*")), key=lambda kv: -len(kv[0]))
    table = _Table(merged, tuple(prefixes))
    with _cache_lock:
        _cache[key] = (raw, table)
    return table


def effective_map(key: str) -> dict[str, float]:
    """The map pricing uses for option `key` (for /api/pricing and the settings UI)."""
    return dict(_table(key).exact)


def default_map(key: str) -> dict[str, float]:
    """The built-in map of one pricing option, without the admin's entries (the price editor's
    fallback column)."""
    return dict(_DEFAULTS.get(key, {}))


def default_json(key: str) -> str:
    """The built-in map of one pricing option as JSON (the "reset model ratio" action)."""
    return orjson.dumps(_DEFAULTS[key]).decode()


def matching_name(name: str) -> str:
    """Names that differ only in a thinking budget share one price entry."""
    for prefix in ("gemini-2.5-flash-lite", "gemini-2.5-flash", "gemini-2.5-pro"):
        if name.startswith(prefix):
            head, sep, _ = name.partition("-thinking-")
            if sep and head == prefix:
                return prefix + "-thinking-*"
            break
    return name


# Suffixes the relay turns into request parameters (reasoning effort, thinking budget). Billing keeps
# the client's name, so "o3-mini-high" falls back to the entry of "o3-mini" when it has none itself.
_PARAM_SUFFIX = re.compile(r"-(?:thinking(?:-\d+)?|nothinking|xhigh|high|medium|low|minimal|none|max)$")


def _lookup(key: str, name: str) -> float | None:
    table = _table(key)
    n = matching_name(name)
    found = table.get(n)
    if found is None:
        base = _PARAM_SUFFIX.sub("", n)
        if base != n:
            found = table.get(matching_name(base))
    return found


def model_price(name: str) -> float | None:
    """USD per call, or None when the model is billed by tokens."""
    return _lookup("ModelPrice", name)


def model_ratio(name: str) -> float | None:
    """The model ratio, or None when neither the defaults nor the option price it."""
    return _lookup("ModelRatio", name)


def _gpt_rule(n: str) -> tuple[float, bool]:
    if n.startswith("gpt-4o"):
        if n == "gpt-4o-2024-05-13":
            return 3, True
        if n.startswith("gpt-4o-mini-tts"):
            return 20, False
        return 4, False
    if n.startswith("gpt-5"):
        return 8, "." not in n
    if n.startswith("gpt-4.5-preview"):
        return 2, True
    if n.startswith("gpt-4.1"):
        return 4, False
    if n.startswith("gpt-4-turbo") or n.endswith("gpt-4-1106"):
        return 3, True
    if n.startswith("gpt-3.5"):
        if n == "gpt-3.5-turbo" or n.endswith("0125"):
            return 3, True
        if n.endswith("1106"):
            return 2, True
        return 4 / 3, True
    return 2, False


def _gemini_rule(n: str) -> tuple[float, bool]:
    if n.startswith(("gemini-1.5", "gemini-2.0")):
        return 4, True
    if n.startswith("gemini-2.5-pro"):
        return 8, False
    if n.startswith("gemini-2.5-flash-lite"):
        return 4, False
    if n.startswith("gemini-2.5-flash"):
        return 2.5 / 0.3, False
    if n.startswith("gemini-3-pro"):
        return 6, False
    return 4, False


def hardcoded_completion_ratio(name: str) -> tuple[float, bool]:
    """(ratio, locked). A locked rule beats the CompletionRatio option; an unlocked one is the fallback."""
    n = matching_name(name)
    if n.endswith(("-all", "-gizmo-*")):
        return 2, False
    if n.startswith("gpt-"):
        return _gpt_rule(n)
    if n.startswith(("o1", "o3")):
        return 4, True
    if n.startswith("o4"):
        return 4, False
    if n == "chatgpt-4o-latest":
        return 3, True
    if "claude-3" in n or any(f"claude-{fam}-4" in n for fam in ("sonnet", "opus", "haiku")):
        return 5, True
    if n.startswith("claude-2"):
        return 3, True
    if n.startswith("gemini-"):
        return _gemini_rule(n)
    if n.startswith(("deepseek-chat", "deepseek-reasoner")):
        return 4, False
    if n.startswith("mistral-"):
        return 3, True
    return 1, False


def completion_ratio(name: str) -> float:
    n = matching_name(name)
    table = _table("CompletionRatio")
    if "/" in n:  # vendor-prefixed names (openrouter style) are priced only by the map
        found = table.get(n)
        if found is not None:
            return found
    ratio, locked = hardcoded_completion_ratio(n)
    if locked:
        return ratio
    found = table.get(n)
    return ratio if found is None else found


def audio_ratio(name: str) -> float:
    """Audio input tokens cost this many text tokens (new-api's built-in rule: realtime 20, the
    2024-12-17 realtime preview 8, mini realtime 10/0.6; audio 40, its 2024-12-17 preview 16,
    mini audio 10/0.15; anything else 20)."""
    if "-realtime" in name:
        if name.endswith("gpt-4o-realtime-preview-2024-12-17"):
            return 8.0
        return 10 / 0.6 if "mini" in name else 20.0
    if "-audio" in name:
        if name.endswith("gpt-4o-audio-preview-2024-12-17"):
            return 16.0
        return 10 / 0.15 if "mini" in name else 40.0
    return 20.0


def audio_completion_ratio(name: str) -> float:  # noqa: ARG001 - new-api's rule is 2 for every model
    """Audio output tokens cost this many audio input tokens."""
    return 2.0


def cache_ratio(name: str) -> float:
    found = _lookup("CacheRatio", name)
    return 1.0 if found is None else found


def create_cache_ratio(name: str) -> float:
    found = _lookup("CreateCacheRatio", name)
    return CREATE_CACHE_RATIO_DEFAULT if found is None else found


def group_ratio(group: str, user_group: str | None = None) -> float:
    """GroupGroupRatio[user_group][group] when set, else GroupRatio[group], else 1."""
    if user_group:
        special = _group_group().get(user_group)
        if isinstance(special, dict):
            value = special.get(group)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    found = _table("GroupRatio").get(group)
    return 1.0 if found is None else found


def group_exists(group: str) -> bool:
    return group in _table("GroupRatio").exact


_gg_cache: tuple[str, dict[str, Any]] = ("", {})


def _group_group() -> dict[str, Any]:
    global _gg_cache
    raw = _raw_option("GroupGroupRatio")
    if raw == _gg_cache[0]:
        return _gg_cache[1]
    try:
        value = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        value = {}
    parsed = value if isinstance(value, dict) else {}
    _gg_cache = (raw, parsed)
    return parsed
