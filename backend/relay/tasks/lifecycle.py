"""The one lifecycle every video provider of `providers/` shares: price the request with the
provider's ratios, reserve, send the provider's submit, keep the charge and store the task only
when the upstream accepted it (submit.py), and poll it through the provider's fetch until it ends
(poller.py refunds a failure exactly once).
"""

from __future__ import annotations

from typing import Any

from backend.cache.channels import ChannelInfo
from backend.models import Task
from backend.models.task import SUCCESS
from backend.relay import distributor
from backend.relay.auth import Caller
from backend.relay.tasks import poller
from backend.relay.tasks.common import (
    FETCH_TIMEOUT_S,
    SUBMIT_TIMEOUT_S,
    UpstreamFailed,
    channel_of,
    send,
)
from backend.relay.tasks.providers import PROVIDERS, Provider
from backend.relay.tasks.providers.base import VideoRequest
from backend.relay.tasks.submit import Submission, TaskRefused, submit
from backend.services import options


def content_url(task_id: str) -> str:
    """The gateway's own address of a finished video (new-api taskcommon.BuildProxyURL)."""
    return f"{(options.get('ServerAddress') or '').rstrip('/')}/v1/videos/{task_id}/content"


async def submit_video(caller: Caller, provider: Provider, route: distributor.Route, req: VideoRequest,
                       request_id: str) -> Task:
    channel, key, upstream_model = route.channel, route.key, route.upstream_model
    ratios = provider.ratios(req, upstream_model)  # refusals here cost nothing: nothing is reserved yet

    async def send_it() -> tuple[str, Any]:
        token = await provider.token(channel, key)
        out = provider.submit_request(channel, key, req, upstream_model, token)
        reply = await send(channel, out.method, out.url, out.headers, out.body, SUBMIT_TIMEOUT_S)
        return provider.accepted(reply, channel.keys)

    sub = Submission(str(channel.type), provider.action(req), req.model, channel, prompt=req.prompt,
                     upstream_model=upstream_model, ratios=ratios, private=provider.notes(req, upstream_model))
    return await submit(caller, sub, send_it, request_id)


def _key(channel: ChannelInfo) -> str:
    return channel.keys[0] if channel.keys else ""


def poller_for(provider: Provider) -> poller.Fetcher:
    async def poll(row: Task) -> poller.TaskUpdate:
        channel = channel_of(row.channel_id)
        if channel is None:
            raise UpstreamFailed(f"channel #{row.channel_id} is disabled")
        try:
            token = await provider.token(channel, _key(channel))
            out = provider.fetch_request(channel, _key(channel), row, token)
        except TaskRefused as exc:  # the channel's key or setup: asked again once it is fixed
            raise UpstreamFailed(exc.message) from exc
        reply = await send(channel, out.method, out.url, out.headers, out.body, FETCH_TIMEOUT_S)
        update = provider.state(reply)
        if update.status == SUCCESS and not (update.result_url and provider.public_result(row)):
            update.result_url = content_url(row.task_id)
        return update

    return poll


for _type, _provider in PROVIDERS.items():
    poller.FETCHERS[str(_type)] = poller_for(_provider)
