"""A fake Creem API on loopback (`POST /v1/checkouts`, JSON, `x-api-key`) and webhook signing as
Creem does it: `creem-signature` = hex HMAC-SHA256 of the raw body with the webhook secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

API_KEY = "creem_test_key"


def sign(payload: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def completed(request_id: str, *, status: str = "paid", order_type: str = "onetime") -> bytes:
    return orjson.dumps({
        "id": "evt_" + secrets.token_hex(6), "eventType": "checkout.completed", "created_at": 1,
        "object": {"id": "ch_" + secrets.token_hex(6), "object": "checkout", "request_id": request_id,
                   "order": {"id": "ord_1", "status": status, "type": order_type, "amount_paid": 500,
                             "currency": "USD"},
                   "customer": {"email": "u@example.com", "name": "U"}, "status": "completed"},
    })


class FakeCreem:
    def __init__(self) -> None:
        self.checkouts: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.post("/v1/checkouts")(self._checkout)

    async def _checkout(self, request: Request) -> JSONResponse:
        if request.headers.get("x-api-key") != API_KEY:
            return JSONResponse({"error": "unauthorized"}, 403)
        body = orjson.loads(await request.body())
        self.checkouts.append(body)
        cid = "ch_" + secrets.token_hex(6)
        return JSONResponse({"id": cid, "checkout_url": f"https://checkout.creem.test/{cid}"})
