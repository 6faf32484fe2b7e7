"""Money for one relay call: price it, reserve quota, settle the real cost, or refund.

Flow (the relay pipeline drives it):
    pricing = pricing_for(model, group, user)                     # 500 if the model has no price
    reserved = await pre_consume(user, token, estimate_pre_consume(pricing, prompt, max_tokens))
    charge = Charge(user, token, model, group, pricing, reserved, is_stream, started_at, ...)
    ... upstream call ...
    await settle(charge, usage)        # or: await refund(charge, error=..., status_code=...)

Quota arithmetic is Decimal, rounded half away from zero like new-api's decimal math; ratios come
from `backend.services.ratios` and counters go through the batched ledger, so nothing here waits
for the database in steady state.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

from backend.config import get_settings
from backend.models.enums import QUOTA_PER_UNIT, LogType
from backend.models.usage import Usage
from backend.observability import metrics
from backend.services import journal, options, quota_data, quota_notify, ratios, usage_log
from backend.services.errors import ServiceError, msg
from backend.services.ledger import (
    TRUST_QUOTA,
    InsufficientTokenQuota,
    InsufficientUserQuota,
    aflush_all,
    get_ledger,
    remember_token_key,
)

if TYPE_CHECKING:
    from backend.cache import TokenInfo, UserInfo

__all__ = [
    "Charge", "InsufficientTokenQuota", "InsufficientUserQuota", "Pricing", "Usage", "compute_quota",
    "estimate_pre_consume", "pre_consume", "pricing_for", "refund", "settle",
]

log = logging.getLogger("newapi.billing")

ZERO_USAGE_NOTE = "（可能是上游超时）"
_NO_TRUST = 1 << 62  # a threshold no balance reaches: always reserve


def _d(x: float | int) -> Decimal:
    """Decimal of the shortest repr, so 1.25 is exactly 1.25 (what new-api's NewFromFloat does)."""
    return Decimal(repr(float(x))) if isinstance(x, float) else Decimal(x)


def _round(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Pricing:
    model_ratio: float
    completion_ratio: float
    group_ratio: float
    cache_ratio: float = 1.0
    create_cache_ratio: float = ratios.CREATE_CACHE_RATIO_DEFAULT
    model_price: float | None = None  # USD per call; beats the ratios

    @property
    def uses_price(self) -> bool:
        return self.model_price is not None

    @property
    def free(self) -> bool:
        """Free calls reserve nothing and need no balance (new-api: price, ratio or group ratio 0)."""
        if self.group_ratio == 0:
            return True
        return self.model_price == 0 if self.model_price is not None else self.model_ratio == 0


@dataclass
class Charge:
    """One relay call's money state, from pre-consume to settle or refund."""

    user: UserInfo
    token: TokenInfo | None  # None: the playground (session auth, no API key)
    model: str  # the client's (origin) model name: billing and logs use it
    group: str
    pricing: Pricing
    reserved: int  # a ledger.Reservation from pre_consume (it carries the reservation's journal number)
    is_stream: bool = False
    started_at: float = field(default_factory=time.time)
    channel_id: int = 0
    request_id: str = ""
    ip: str = ""
    other: dict[str, Any] = field(default_factory=dict)
    content_note: str = ""  # appended to the log's content (images: size and quality)
    state: Literal["open", "settled", "refunded"] = "open"
    charged: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def _close(self, state: Literal["settled", "refunded"], charged: int = 0) -> bool:
        """Move out of "open" exactly once, even if two threads race to settle and refund."""
        with self._lock:
            if self.state != "open":
                return False
            self.state, self.charged = state, charged
            return True


def _shown_name(model: str, limit: int = 64) -> str:
    """A model name fit to quote back to the caller: the relay refuses control characters before
    pricing, so only the length needs bounding here."""
    return model if len(model) <= limit else model[:limit] + "…"


def pricing_for(model: str, group: str, user: UserInfo) -> Pricing:
    """Ratios for `model` in `group` (the group ratio may be special for the user's own group)."""
    gr = ratios.group_ratio(group, user.group)
    price = ratios.model_price(model)
    mr = ratios.model_ratio(model)
    if price is None and mr is None:
        accept = bool((user.setting or {}).get("accept_unset_model_ratio_model"))
        if not (options.get_bool("SelfUseModeEnabled") or accept):
            raise ServiceError(
                msg("model {model} ratio or price not set; ask the administrator to set it, or enable self-use mode", model=_shown_name(model)), 500)
        mr = ratios.UNSET_MODEL_RATIO
    return Pricing(
        model_ratio=mr or 0.0,
        completion_ratio=ratios.completion_ratio(model),
        group_ratio=gr,
        cache_ratio=ratios.cache_ratio(model),
        create_cache_ratio=ratios.create_cache_ratio(model),
        model_price=price,
    )


def _price_quota(p: Pricing) -> int:
    assert p.model_price is not None
    return _round(_d(p.model_price) * QUOTA_PER_UNIT * _d(p.group_ratio))


def estimate_pre_consume(pricing: Pricing, prompt_tokens: int, max_tokens: int | None) -> int:
    """What to reserve before the call (new-api [N] rule).

    Ratio models: `(max(prompt_tokens, PreConsumedQuota) + max_tokens) · MR · GR`, truncated, with
    PreConsumedQuota (default 500) read as a token floor so a short prompt still reserves something.
    Priced models: the price itself. Free models: 0.
    """
    if pricing.free:
        return 0
    if pricing.uses_price:
        return _price_quota(pricing)
    floor = options.get_int("PreConsumedQuota", 500)
    tokens = max(int(prompt_tokens), floor) + max(int(max_tokens or 0), 0)
    return int((Decimal(tokens) * _d(pricing.model_ratio) * _d(pricing.group_ratio)).to_integral_value(ROUND_DOWN))


def compute_quota(pricing: Pricing, usage: Usage) -> tuple[int, str]:
    """(quota, note). The note is set when the usage was empty (nothing is charged then).

    OpenAI semantics (P includes C and W): ((P−C−W) + C·cacheRatio + W·createRatio + O·CR)·MR·GR
    Anthropic semantics (P excludes them):  (P + C·cacheRatio + W·createRatio + O·CR)·MR·GR
    A fixed price is price·500000·GR whatever the tokens. A non-zero ratio never yields less than 1.
    """
    if pricing.uses_price:
        return _price_quota(pricing), ""
    p, o = max(usage.prompt_tokens, 0), max(usage.completion_tokens, 0)
    c, w = max(usage.cached_tokens, 0), max(usage.cache_write_tokens, 0)
    if usage.total_prompt_tokens + o <= 0:
        return 0, ZERO_USAGE_NOTE
    plain = p if usage.semantics == "anthropic" else max(p - c - w, 0)
    tokens = (Decimal(plain) + Decimal(c) * _d(pricing.cache_ratio) + Decimal(w) * _d(pricing.create_cache_ratio)
              + Decimal(o) * _d(pricing.completion_ratio))
    ratio = _d(pricing.model_ratio) * _d(pricing.group_ratio)
    quota = _round(tokens * ratio)
    if ratio != 0 and quota <= 0:
        quota = 1
    return quota, ""


def audio_quota(pricing: Pricing, model: str, text_in: int, text_out: int, audio_in: int, audio_out: int) -> int:
    """new-api's audio/realtime charge: (tIn + tOut·CR + aIn·AR + aOut·AR·ACR)·MR·GR, rounded,
    at least 1 when the ratio is not 0; a fixed price is price·500000·GR (truncated)."""
    if pricing.uses_price:
        assert pricing.model_price is not None
        return int(_d(pricing.model_price) * QUOTA_PER_UNIT * _d(pricing.group_ratio))
    ar, acr = _d(ratios.audio_ratio(model)), _d(ratios.audio_completion_ratio(model))
    tokens = (Decimal(text_in) + Decimal(text_out) * _d(pricing.completion_ratio) + Decimal(audio_in) * ar
              + Decimal(audio_out) * ar * acr)
    ratio = _d(pricing.model_ratio) * _d(pricing.group_ratio)
    quota = tokens * ratio
    if ratio != 0 and quota <= 0:
        return 1
    return _round(quota)


async def spend(charge: Charge, amount: int) -> None:
    """Take `amount` from user and token now, as part of an open charge (realtime bills each
    response as it completes); it counts as reserved, so `settle_quota` only adds the usage."""
    if amount > 0:
        token_id = charge.token.id if charge.token is not None else None
        await get_ledger().aapply(charge.user.id, token_id, quota_delta=amount)
        charge.reserved += amount
        await journal.durable()  # a completed response stays charged after a crash


async def settle_quota(charge: Charge, quota: int, usage: Usage, other: dict[str, Any] | None = None) -> int:
    """Settle a charge whose cost was computed by its caller (realtime): like `settle`, with
    `quota` instead of the ratio formula."""
    if not charge._close("settled", quota):
        return charge.charged
    token_id = charge.token.id if charge.token is not None else None
    await get_ledger().aapply(charge.user.id, token_id, quota_delta=quota - charge.reserved, used=quota,
                              requests=1, channel_id=charge.channel_id)
    if options.get_bool("LogConsumeEnabled"):
        content = _content(charge.pricing, "") + (f", {charge.content_note}" if charge.content_note else "")
        usage_log.record(_log_row(charge, LogType.CONSUME, content, quota, usage,
                                  {**_other(charge, usage), **(other or {})}))
    await journal.durable()
    await _flush_if_unbatched()
    return quota


async def pre_consume(user: UserInfo, token: TokenInfo | None, amount: int, *, trust: bool = True) -> int:
    """Reserve `amount` from user and token; returns what was reserved (0 when trusted or free).

    403 `insufficient_user_quota` when the user's balance is <= 0 or below `amount`;
    403 `pre_consume_token_quota_failed` when a limited token holds less than `amount`.
    A user above $10 (with an unlimited token, or one also above $10) reserves nothing; pass
    `trust=False` for async tasks and realtime sessions, which new-api never trusts.
    """
    if token is not None:
        remember_token_key(token.key, token.id)
    if amount <= 0:
        return 0
    return await get_ledger().areserve(
        user.id, token.id if token is not None else None, amount,
        token_unlimited=token.unlimited_quota if token is not None else True,
        trust_quota=TRUST_QUOTA if trust else _NO_TRUST,
    )


def _content(pricing: Pricing, note: str) -> str:
    if pricing.uses_price:
        text = f"模型价格 {pricing.model_price:.2f}，分组倍率 {pricing.group_ratio:.2f}"
    else:
        text = (f"模型倍率 {pricing.model_ratio:.2f}，补全倍率 {pricing.completion_ratio:.2f}，"
                f"分组倍率 {pricing.group_ratio:.2f}")
    return text + note


def _other(charge: Charge, usage: Usage) -> dict[str, Any]:
    p = charge.pricing
    other: dict[str, Any] = {
        "model_ratio": p.model_ratio,
        "group_ratio": p.group_ratio,
        "completion_ratio": p.completion_ratio,
        "cache_tokens": usage.cached_tokens,
        "cache_ratio": p.cache_ratio,
        "model_price": p.model_price if p.model_price is not None else -1,
    }
    if usage.cache_write_tokens or usage.semantics == "anthropic":
        other["cache_creation_tokens"] = usage.cache_write_tokens
        other["cache_creation_ratio"] = p.create_cache_ratio
    if usage.semantics == "anthropic":
        other["claude"] = True
    if charge.request_id:
        other["request_id"] = charge.request_id
    other.update(charge.other)
    return other


def _log_row(charge: Charge, log_type: LogType, content: str, quota: int, usage: Usage | None,
             other: dict[str, Any]) -> dict[str, Any]:
    token = charge.token
    record_ip = bool((charge.user.setting or {}).get("record_ip_log"))
    return {
        "user_id": charge.user.id,
        "username": charge.user.username,
        "created_at": int(time.time()),
        "type": int(log_type),
        "content": content,
        "token_name": token.name if token is not None else "",
        "token_id": token.id if token is not None else 0,
        "model_name": charge.model,
        "quota": quota,
        "prompt_tokens": usage.prompt_tokens if usage else 0,
        "completion_tokens": usage.completion_tokens if usage else 0,
        "use_time": max(int(time.time() - charge.started_at), 0),
        "is_stream": charge.is_stream,
        "channel_id": charge.channel_id,
        "group": charge.group,
        "ip": charge.ip if record_ip else "",
        "other": other,
    }


async def _flush_if_unbatched() -> None:
    if not get_settings().BATCH_UPDATE_ENABLED:
        await aflush_all()


async def settle(charge: Charge, usage: Usage) -> int:
    """Charge the real cost: applies `quota - reserved`, counts usage, queues the consume log.

    Settling a charge a second time changes nothing and returns the first result; a refunded
    charge cannot be settled.
    """
    quota, note = compute_quota(charge.pricing, usage)
    if not charge._close("settled", quota):
        if charge.state == "refunded":
            log.warning("settle after refund ignored (user %s, model %s)", charge.user.id, charge.model)
        return charge.charged
    token_id = charge.token.id if charge.token is not None else None
    if note:  # nothing was used: give the reservation back, count nothing
        await get_ledger().aapply(charge.user.id, token_id, quota_delta=-charge.reserved, reserved=charge.reserved)
    else:
        await get_ledger().aapply(charge.user.id, token_id, quota_delta=quota - charge.reserved, used=quota,
                                  requests=1, channel_id=charge.channel_id, reserved=charge.reserved)
        quota_notify.after_charge(charge.user, quota)
        metrics.consumed(charge.model, usage.prompt_tokens, usage.completion_tokens, quota)
    if options.get_bool("LogConsumeEnabled"):
        content = _content(charge.pricing, note) + (f", {charge.content_note}" if charge.content_note else "")
        usage_log.record(_log_row(charge, LogType.CONSUME, content, quota, usage, _other(charge, usage)))
    if not note and options.get_bool("DataExportEnabled"):
        quota_data.record(charge.user.id, charge.user.username, charge.model, int(time.time()),
                          usage.total_tokens, quota)
    await journal.durable()  # the bill survives a crash before the response ends (group-committed fsync)
    await _flush_if_unbatched()
    return quota


async def refund(charge: Charge, *, error: str | None = None, status_code: int = 0) -> None:
    """Give back the reservation (once, however often it is called) after a failed call.

    With option ErrorLogEnabled and an `error`, an error log row (type 5) records the failure.
    """
    if not charge._close("refunded"):
        return
    if charge.reserved:
        token_id = charge.token.id if charge.token is not None else None
        await get_ledger().aapply(charge.user.id, token_id, quota_delta=-charge.reserved, reserved=charge.reserved)
    if error and options.get_bool("ErrorLogEnabled"):
        other = {"status_code": status_code, **({"request_id": charge.request_id} if charge.request_id else {}),
                 **charge.other}
        usage_log.record(_log_row(charge, LogType.ERROR, error, 0, None, other))
    await journal.durable()  # a flushed reservation is given back even after a crash
    await _flush_if_unbatched()
