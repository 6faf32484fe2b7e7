"""Video task routes (new-api's video-router.go); the work is in `backend/relay/tasks/video.py`.
Included ahead of `routes.router`, whose `/v1` catch-all would otherwise take them."""

from __future__ import annotations

from fastapi import APIRouter

from backend.relay.tasks import jimeng_route, video, video_content

router = APIRouter()
_ROUTES = (
    ("POST", "/v1/videos", video.create),
    ("GET", "/v1/videos/{task_id}", video.retrieve),
    ("GET", "/v1/videos/{task_id}/content", video_content.content),
    ("POST", "/v1/videos/{video_id}/remix", video.remix),
    ("POST", "/v1/video/generations", video.create),
    ("GET", "/v1/video/generations/{task_id}", video.retrieve),
    ("POST", "/kling/v1/videos/{kind}", video.kling_submit),
    ("GET", "/kling/v1/videos/{kind}/{task_id}", video.kling_fetch),
    ("POST", "/jimeng/", jimeng_route.jimeng_official),
)
for _method, _path, _endpoint in _ROUTES:
    router.add_api_route(_path, _endpoint, methods=[_method], include_in_schema=False)
