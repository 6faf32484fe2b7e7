"""`GET /api/models`: channel type -> the models a channel of that type is pre-filled with.

new-api answers this route with each adaptor's built-in model list (`channelId2Models`); the channel
editor of its console calls it to fill the models field when a type is chosen. This gateway has no
per-adaptor lists; it has the models it knows a price for (`ratios`), and an owner for each name
(`channels._owner`). A type is given the known models of the owner(s) it serves; an
OpenAI-compatible aggregator (OpenRouter, a custom URL...) is given every known model, as new-api's
OpenAI adaptor lists all of OpenAI's.
"""

from __future__ import annotations

from functools import lru_cache

from backend.models import channel_types as ct
from backend.services import ratios
from backend.services.channels import _owner

# type id -> the owners whose models a channel of that type serves (absent: OpenAI's models)
_OWNERS_BY_TYPE: dict[int, tuple[str, ...]] = {
    14: ("anthropic",), 33: ("anthropic",), 24: ("google",), 41: ("google", "anthropic"),
    43: ("deepseek",), 48: ("xai",), 42: ("mistralai",), 17: ("alibaba",), 16: ("zhipu",), 26: ("zhipu",),
    25: ("moonshot",), 34: ("cohere",), 15: ("baidu",), 46: ("baidu",), 23: ("tencent",), 45: ("volcengine",),
}
# aggregators: every known model
_ALL = frozenset({8, 20, 40, 53})
# types that serve no chat models this gateway prices (drawing, tasks, Ollama's local names...)
_NONE_FAMILIES = frozenset({ct.MIDJOURNEY, ct.TASK})


@lru_cache(maxsize=1)
def by_channel_type() -> dict[int, list[str]]:
    names = sorted(set(ratios.DEFAULT_MODEL_RATIO) | set(ratios.DEFAULT_MODEL_PRICE))
    owned: dict[str, list[str]] = {}
    for name in names:
        owned.setdefault(_owner(name), []).append(name)
    result: dict[int, list[str]] = {}
    for type_id, info in ct.CHANNEL_TYPES.items():
        if type_id == 0:
            continue
        if info.family in _NONE_FAMILIES or type_id == ct.OLLAMA_ID:
            result[type_id] = []
        elif type_id in _ALL:
            result[type_id] = list(names)
        else:
            owners = _OWNERS_BY_TYPE.get(type_id, ("openai",))
            result[type_id] = [m for o in owners for m in owned.get(o, [])]
    return result
