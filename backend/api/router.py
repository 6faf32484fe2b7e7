"""Mounts the management API (`/api/...`) on the gateway app."""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from backend.api import (
    channel,
    channel_tools,
    channel_upstream,
    checkin,
    codex,
    creem_topup,
    custom_oauth,
    data,
    external_login,
    group,
    log,
    misc,
    models,
    oauth,
    oauth_bindings,
    option,
    option_tools,
    passkey,
    performance,
    prefill_group,
    pricing,
    ratio_sync,
    redemption,
    responses,
    secure_verify,
    setup,
    status,
    stripe_topup,
    subscription,
    tasks,
    telegram,
    threads,  # noqa: F401 - registers the start-up hook that sizes the worker threads
    token,
    token_usage,
    topup,
    twofa,
    user,
    user_admin,
    vendors,
    verification,
    waffo_topup,
)
from backend.api.ratelimit import global_api_limit
from backend.api.types import strict_json_body
from backend.services.errors import NotFound, msg

api = APIRouter(prefix="/api")
api.include_router(setup.router)
api.include_router(status.router)
api.include_router(misc.router)
api.include_router(verification.router)
api.include_router(telegram.router)
api.include_router(oauth.router)
api.include_router(oauth_bindings.router)
api.include_router(custom_oauth.router)
api.include_router(external_login.router)
api.include_router(user.router)
api.include_router(twofa.router)
api.include_router(passkey.router)
api.include_router(secure_verify.router)
api.include_router(topup.router)
api.include_router(checkin.router)
api.include_router(stripe_topup.router)
api.include_router(creem_topup.router)
api.include_router(waffo_topup.router)
api.include_router(subscription.router)
api.include_router(user_admin.router)
api.include_router(token.router)
api.include_router(redemption.router)
api.include_router(log.router)
api.include_router(data.router)
api.include_router(option.router)
api.include_router(option_tools.router)
api.include_router(group.router)
api.include_router(channel.router)
api.include_router(channel_tools.router)
api.include_router(channel_upstream.router)
api.include_router(codex.router)
api.include_router(pricing.router)
api.include_router(token_usage.router)
api.include_router(models.router)
api.include_router(vendors.router)
api.include_router(prefill_group.router)
api.include_router(ratio_sync.router)
api.include_router(performance.router)
api.include_router(tasks.router)


@api.api_route("/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def unknown_api_route(path: str) -> None:
    """Registered last: an unknown /api path answers in the envelope instead of falling through
    to the console's pages (or FastAPI's bare `{"detail": ...}`)."""
    raise NotFound(msg("no such API route: /api/{path}", path=path))


def install(app: FastAPI) -> None:
    responses.install_handlers(app)
    app.include_router(api, dependencies=[Depends(global_api_limit), Depends(strict_json_body)])
