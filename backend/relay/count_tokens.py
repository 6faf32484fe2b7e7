"""`POST /v1/messages/count_tokens`: the provider's own count when the call would reach a Claude
channel that has one (Anthropic, Bedrock, Vertex AI's Claude), the gateway's count otherwise.

The channel is the one a Messages call for the model would be routed to first (the key's group,
model mapping, `auto` groups), and the count costs nothing, as the providers' do. When the
provider cannot count (unreachable, refuses, answers without a number) the gateway's count is
given instead: a client estimating a prompt's size is better served by an estimate than an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from backend.relay import adaptors, auth, distributor, token_counter
from backend.relay.adaptors.base import AdaptorError, RelayFormat, RelayMeta, UpstreamError
from backend.relay.errors import RelayError
from backend.relay.upstream import UpstreamTransportError, get_client
from backend.services import options

log = logging.getLogger("newapi.relay")
ERROR_BODY_CAP = 64 * 1024


async def input_tokens(
    caller: auth.Caller, model: str, body: dict[str, Any], headers: Mapping[str, str]
) -> int:
    counted = await upstream_count(caller, model, body, headers)
    return counted if counted is not None else token_counter.count_claude_request(model, body)


async def upstream_count(
    caller: auth.Caller, model: str, body: dict[str, Any], headers: Mapping[str, str]
) -> int | None:
    """The routed channel's own count, or None when it has none or could not give one."""
    group = distributor.resolve_group(caller.group, caller.user.group, model)
    try:
        route = await distributor.route(group, model, 0, frozenset(), caller.pinned_channel)
    except RelayError:
        return None  # no channel: the local count still answers, as it did before routing
    meta = RelayMeta(
        fmt=RelayFormat.CLAUDE_MESSAGES,
        origin_model=model,
        upstream_model=route.upstream_model,
        path="/v1/messages/count_tokens",
        client_headers=headers,
        options=options,
    )
    try:
        adaptor = adaptors.get_adaptor(route.channel, route.key, meta)
        if not adaptor.counts_tokens:
            return None  # not a Claude-native kind: nothing to ask
        client = get_client()
        await adaptor.prepare(client)  # Vertex AI's access token
        request = adaptor.count_tokens_request({**body, "model": model})
        if request is None:
            return None
        resp = await client.send(request)
        try:
            raw = await resp.aread()
        finally:
            await resp.aclose()
    except (AdaptorError, UpstreamError, UpstreamTransportError) as exc:
        log.warning(
            "count_tokens on channel #%s failed (%s): counting locally", route.channel.id, type(exc).__name__
        )
        return None
    if resp.status_code != 200:
        log.warning(
            "count_tokens on channel #%s answered %s: counting locally", route.channel.id, resp.status_code
        )
        return None
    return adaptor.parse_count_tokens(raw)
