"""The public price list: routable models only, prices in new-api's units, group ratio applied."""

from __future__ import annotations

from decimal import Decimal

from backend.models.schemas.channel import ChannelUpdate
from backend.services import channel_input, channels, options, pricing


def _channel(models: str, group: str, **fields) -> int:
    body = {"name": "c", "type": 1, "key": "sk-1", "models": models, "group": group, **fields}
    [cid] = channels.create_channels(channel_input.parse_create({"mode": "single", "channel": body}))
    return cid


def test_lists_enabled_models_with_their_groups(storage):
    _channel("gpt-4o,dall-e-3", "default,vip")
    off = _channel("claude-opus-4-1", "default")
    channels.update_channel(ChannelUpdate.model_validate({"id": off, "status": 2}))
    by_model = pricing.enabled_groups_by_model()
    assert by_model == {"dall-e-3": ("default", "vip"), "gpt-4o": ("default", "vip")}


def test_prices_per_million_and_per_call_with_group_ratio(storage):
    _channel("gpt-4o,dall-e-3,unpriced-model", "default")
    options.update("GroupRatio", '{"default": 1, "vip": 1.5}')
    rows = {p.model_name: p for p in pricing.price_list("vip")}
    gpt = rows["gpt-4o"]
    # ratio 1.25 x $2 x group 1.5 = $3.75 / 1M input; completion ratio 4 -> $15 / 1M output
    assert (gpt.quota_type, gpt.input_per_million, gpt.output_per_million) == (0, Decimal("3.75"), Decimal("15.00"))
    assert gpt.per_call is None
    dalle = rows["dall-e-3"]
    assert (dalle.quota_type, dalle.per_call, dalle.input_per_million) == (1, Decimal("0.06"), None)
    assert rows["unpriced-model"].model_ratio is None and rows["unpriced-model"].input_per_million is None
    plain = {p.model_name: p for p in pricing.price_list("default")}
    assert plain["gpt-4o"].input_per_million == Decimal("2.5")


def test_group_group_ratio_applies_for_the_viewers_group(storage):
    _channel("gpt-4o", "vip")
    options.update("GroupGroupRatio", '{"svip": {"vip": 0.5}}')
    [row] = pricing.price_list("vip", user_group="svip")
    assert row.input_per_million == Decimal("1.25")
