"""Waffo routes: `/api/user/waffo/pay` (a cashier page for a top-up), `/api/user/waffo/amount` (the
price quote) and `/api/waffo/webhook` (Waffo's signed payment notifications)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from backend.api.deps import CurrentUser
from backend.api.pay_responses import pay_error, pay_ok
from backend.api.types import ApiModel, Int64
from backend.services import waffo
from backend.services.errors import ServiceError

router = APIRouter(tags=["waffo"])
log = logging.getLogger("newapi.waffo")

MAX_WEBHOOK_BYTES = 256 * 1024


class WaffoPayIn(ApiModel):
    amount: Int64 = 0
    pay_method_index: int | None = None
    pay_method_type: str = ""  # new-api's older console sends type + name instead of the index
    pay_method_name: str = ""


class WaffoAmountIn(ApiModel):
    amount: Int64 = 0


@router.post("/user/waffo/pay", response_model=None)
def waffo_pay(user: CurrentUser, body: WaffoPayIn) -> Response | dict:
    try:
        return pay_ok(waffo.purchase(user, body.amount, body.pay_method_index, body.pay_method_type,
                                     body.pay_method_name))
    except ServiceError as exc:
        return pay_error(exc)


@router.post("/user/waffo/amount", response_model=None)
def waffo_amount(user: CurrentUser, body: WaffoAmountIn) -> Response | dict:
    try:
        return pay_ok(waffo.quote(user, body.amount))
    except ServiceError as exc:
        return pay_error(exc)


@router.post("/waffo/webhook")
async def waffo_webhook(request: Request) -> Response:
    """400 for a bad signature (nothing read), else Waffo's signed `{"message": ...}` answer:
    success once handled (a repeat too) so Waffo stops retrying, failed when it should retry."""
    payload = await request.body()
    if len(payload) > MAX_WEBHOOK_BYTES:
        return Response(status_code=413)
    try:
        outcome = await run_in_threadpool(waffo.webhook, payload, request.headers.get("X-SIGNATURE", ""))
        success = True
    except waffo.BadSignature:
        log.warning("Waffo webhook with a bad signature refused")
        return Response(status_code=400)
    except ServiceError as exc:
        outcome, success = exc.message, False
    log.info("Waffo webhook: %s", outcome)
    body, signature = await run_in_threadpool(waffo.signed_answer, success)
    return Response(body, media_type="application/json", headers={"X-SIGNATURE": signature} if signature else {})
