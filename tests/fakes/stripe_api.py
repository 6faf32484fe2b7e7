"""A fake Stripe API on loopback for the payment tests, and webhook signing as Stripe does it.

Serves `POST /v1/checkout/sessions` (form-encoded, as the official library sends it) and records
every session created, so a test can play the checkout's outcome back as a signed webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def sign_webhook(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header: `t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<payload>")>`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def event(kind: str, session: dict[str, Any], **changes: Any) -> bytes:
    obj = {**session, **changes}
    return orjson.dumps({
        "id": "evt_" + secrets.token_hex(8), "object": "event", "api_version": "2024-06-20",
        "created": int(time.time()), "type": kind, "livemode": False, "pending_webhooks": 1,
        "data": {"object": obj},
    })


class FakeStripe:
    def __init__(self) -> None:
        self.sessions: list[dict[str, Any]] = []
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.fail_next = False
        self.app = FastAPI()
        self.app.post("/v1/checkout/sessions")(self._create_session)

    async def _create_session(self, request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        self.requests.append(("/v1/checkout/sessions", dict(request.headers), form))
        if not request.headers.get("authorization", "").startswith("Bearer sk_"):
            return JSONResponse({"error": {"type": "invalid_request_error", "message": "bad key"}}, 401)
        if self.fail_next:
            self.fail_next = False
            return JSONResponse({"error": {"type": "api_error", "message": "boom"}}, 400)
        sid = "cs_test_" + secrets.token_hex(12)
        quantity = int(form.get("line_items[0][quantity]", "1"))
        session = {
            "id": sid, "object": "checkout.session", "mode": form.get("mode"),
            "client_reference_id": form.get("client_reference_id"),
            "customer": form.get("customer"), "customer_email": form.get("customer_email"),
            "url": f"https://checkout.stripe.test/c/pay/{sid}", "status": "open", "payment_status": "unpaid",
            "amount_total": quantity * 800, "currency": "usd",
            "line_items_price": form.get("line_items[0][price]"), "quantity": quantity,
        }
        self.sessions.append(session)
        return JSONResponse(session)
