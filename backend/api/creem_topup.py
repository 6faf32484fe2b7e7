"""Creem routes: `/api/user/creem/pay` (a top-up checkout) and `/api/creem/webhook`."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from backend.api.deps import CurrentUser
from backend.api.pay_responses import pay_error, pay_ok
from backend.api.types import ApiModel
from backend.services import creem
from backend.services.errors import ServiceError

router = APIRouter(tags=["creem"])
log = logging.getLogger("newapi.creem")

MAX_WEBHOOK_BYTES = 256 * 1024


class CreemPayIn(ApiModel):
    product_id: str = ""
    payment_method: str = ""


@router.post("/user/creem/pay", response_model=None)
def creem_pay(user: CurrentUser, body: CreemPayIn) -> Response | dict:
    try:
        return pay_ok(creem.topup(user, body.product_id.strip(), body.payment_method.strip()))
    except ServiceError as exc:
        return pay_error(exc)


@router.post("/creem/webhook")
async def creem_webhook(request: Request) -> Response:
    """401 for a bad or missing signature, 400 for a body that is not an event; 200 once handled
    (including a repeat or an unknown order) so Creem stops retrying."""
    payload = await request.body()
    if len(payload) > MAX_WEBHOOK_BYTES:
        return Response(status_code=413)
    try:
        outcome = await run_in_threadpool(creem.webhook, payload, request.headers.get("creem-signature", ""))
    except creem.BadSignature:
        log.warning("Creem webhook with a bad signature refused")
        return Response(status_code=401)
    except ServiceError as exc:
        log.warning("Creem webhook refused: %s", exc.message)
        return Response(status_code=400)
    log.info("Creem webhook: %s", outcome)
    return Response(status_code=200)
