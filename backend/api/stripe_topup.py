"""Stripe top-up routes: `/api/user/stripe/pay`, `/api/user/stripe/amount`, `/api/stripe/webhook`."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from backend.api.deps import CurrentUser
from backend.api.pay_responses import pay_error, pay_ok
from backend.api.types import ApiModel, Int64
from backend.services import stripe_events, stripe_pay
from backend.services.errors import ServiceError

router = APIRouter(tags=["stripe"])
log = logging.getLogger("newapi.stripe")

MAX_WEBHOOK_BYTES = 512 * 1024


class StripePayIn(ApiModel):
    amount: Int64 = 0
    payment_method: str = ""


@router.post("/user/stripe/pay", response_model=None)
def stripe_pay_route(user: CurrentUser, body: StripePayIn) -> Response | dict:
    try:
        return pay_ok({"pay_link": stripe_pay.checkout(user, body.amount, body.payment_method.strip())})
    except ServiceError as exc:
        return pay_error(exc)


@router.post("/user/stripe/amount", response_model=None)
def stripe_amount(user: CurrentUser, body: StripePayIn) -> Response | dict:
    try:
        return pay_ok(stripe_pay.quote(user, body.amount))
    except ServiceError as exc:
        return pay_error(exc)


@router.post("/stripe/webhook")
async def stripe_webhook(request: Request) -> Response:
    """400 for a bad signature (Stripe shows it to the operator); 200 once handled, including an
    event for an unknown or already paid order, so Stripe stops retrying; a database failure
    escapes as a 500 and Stripe retries later."""
    payload = await request.body()
    if len(payload) > MAX_WEBHOOK_BYTES:
        return Response(status_code=413)
    try:
        outcome = await run_in_threadpool(stripe_events.handle, payload, request.headers.get("Stripe-Signature", ""))
    except stripe_pay.BadSignature:
        log.warning("Stripe webhook with a bad signature refused")
        return Response(status_code=400)
    log.info("Stripe webhook: %s", outcome)
    return Response(status_code=200)
