"""Suno routes (new-api's relaySunoRouter); the work is in `backend/relay/tasks/suno.py`."""

from __future__ import annotations

from fastapi import APIRouter

from backend.relay.tasks import suno

router = APIRouter()
router.add_api_route("/suno/submit/{action}", suno.submit_route, methods=["POST"], include_in_schema=False)
router.add_api_route("/suno/fetch", suno.fetch_route, methods=["POST"], include_in_schema=False)
router.add_api_route("/suno/fetch/{task_id}", suno.fetch_one_route, methods=["GET"], include_in_schema=False)
