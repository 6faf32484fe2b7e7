"""Midjourney-Proxy routes: `/mj/...` and the same under `/{mode}/mj/...` (new-api's
registerMjRouterGroup; modes are MJ-Plus's speeds). The work is in `backend/relay/tasks/mj.py`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.relay.tasks import mj, poller  # noqa: F401 (poller: registers the polling job)

router = APIRouter()
MODES = frozenset({"mj-fast", "mj-relax", "mj-turbo", "fast", "relax", "turbo"})
_NOT_FOUND = Response(status_code=404)


def _bad_mode(request: Request) -> bool:
    mode = request.path_params.get("mode")
    return mode is not None and mode not in MODES


async def submit(request: Request, action: str) -> Response:
    return _NOT_FOUND if _bad_mode(request) else await mj.submit(request, action)


async def swap_face(request: Request) -> Response:
    return _NOT_FOUND if _bad_mode(request) else await mj.submit(request, "swap-face")


async def fetch(request: Request, task_id: str) -> Response:
    return _NOT_FOUND if _bad_mode(request) else await mj.fetch(request, task_id)


async def image_seed(request: Request, task_id: str) -> Response:
    return _NOT_FOUND if _bad_mode(request) else await mj.image_seed(request, task_id)


async def list_by_condition(request: Request) -> Response:
    return _NOT_FOUND if _bad_mode(request) else await mj.list_by_condition(request)


async def image(request: Request, mj_id: str, sig: str = "") -> Response:
    return _NOT_FOUND if _bad_mode(request) else await mj.image(mj_id, sig)


for prefix in ("/mj", "/{mode}/mj"):
    router.add_api_route(prefix + "/image/{mj_id}", image, methods=["GET"], include_in_schema=False)
    router.add_api_route(prefix + "/submit/{action}", submit, methods=["POST"], include_in_schema=False)
    router.add_api_route(prefix + "/insight-face/swap", swap_face, methods=["POST"], include_in_schema=False)
    router.add_api_route(prefix + "/task/list-by-condition", list_by_condition, methods=["POST"],
                         include_in_schema=False)
    router.add_api_route(prefix + "/task/{task_id}/fetch", fetch, methods=["GET"], include_in_schema=False)
    router.add_api_route(prefix + "/task/{task_id}/image-seed", image_seed, methods=["GET"], include_in_schema=False)
