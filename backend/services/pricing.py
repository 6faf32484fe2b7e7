"""The public price list: every routable model with its price for a group.

A model is listed when an enabled channel serves it (enabled abilities), with the groups it is
enabled for. Prices follow billing's units: ratio 1 = $2 per 1M input tokens, output = input x
completion ratio, a fixed model price is USD per call; the group ratio multiplies both.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import col, select

from backend.db import session_scope
from backend.models import Ability, Channel
from backend.models.enums import ChannelStatus
from backend.services import ratios

USD_PER_RATIO_PER_MILLION = Decimal(2)


@dataclass(frozen=True)
class ModelPrice:
    model_name: str
    enable_groups: tuple[str, ...]
    quota_type: int  # 0: by tokens (ratio), 1: per call (new-api's numbering)
    model_ratio: float | None  # None: not priced at all
    completion_ratio: float
    model_price: float | None
    input_per_million: Decimal | None  # USD, group ratio applied
    output_per_million: Decimal | None
    per_call: Decimal | None

    @property
    def priced(self) -> bool:
        """Whether billing has a price for the model (per call, or a model ratio); an unpriced model's
        calls are refused unless self-use mode is on, so the console flags or avoids it."""
        return self.quota_type == 1 or self.model_ratio is not None


def enabled_groups_by_model() -> dict[str, tuple[str, ...]]:
    """model -> sorted groups with at least one enabled channel serving it."""
    with session_scope() as s:
        pairs = s.exec(
            select(Ability.model, Ability.group).join(Channel, col(Channel.id) == Ability.channel_id)
            .where(Ability.enabled == True, Channel.status == ChannelStatus.ENABLED)  # noqa: E712
            .distinct()
        ).all()
    found: dict[str, set[str]] = {}
    for model, group in pairs:
        found.setdefault(model, set()).add(group)
    return {m: tuple(sorted(g)) for m, g in sorted(found.items())}


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


def price_of(model: str, groups: tuple[str, ...], group_ratio: float) -> ModelPrice:
    price = ratios.model_price(model)
    ratio = ratios.model_ratio(model)
    completion = ratios.completion_ratio(model)
    g = _dec(group_ratio)
    if price is not None:
        return ModelPrice(model, groups, 1, ratio, completion, price, None, None, _dec(price) * g)
    if ratio is None:
        return ModelPrice(model, groups, 0, None, completion, None, None, None, None)
    inp = _dec(ratio) * USD_PER_RATIO_PER_MILLION * g
    return ModelPrice(model, groups, 0, ratio, completion, None, inp, inp * _dec(completion), None)


def is_priced(model: str) -> bool:
    """The price list's rule for one model, group aside (the group ratio scales a price, never
    makes one): the playground's default model is a priced one."""
    return price_of(model, (), 1.0).priced


def price_list(group: str, user_group: str | None = None) -> list[ModelPrice]:
    """Every listed model priced for `group` (as seen by a user of `user_group`, for GroupGroupRatio)."""
    ratio = ratios.group_ratio(group, user_group)
    return [price_of(model, groups, ratio) for model, groups in enabled_groups_by_model().items()]
