"""A fake Waffo merchant API: `POST /order/create` checks the merchant's RSA signature and API key
and answers, signed with Waffo's own key, a created order whose `orderAction` names a cashier page;
`notification()` builds a PAYMENT_NOTIFICATION signed the way Waffo signs them. Keys are generated
per fake (2048-bit RSA), Base64 DER as Waffo's console hands them out."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi import FastAPI, Request
from fastapi.responses import Response

from tests.fakes.served import ServedFake

API_KEY = "waffo-api-key"


def _pair() -> tuple[rsa.RSAPrivateKey, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.DER,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, base64.b64encode(private).decode(), base64.b64encode(public).decode()


def rsa_sign(key: rsa.RSAPrivateKey, body: bytes) -> str:
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


@dataclass
class FakeWaffo(ServedFake):
    orders: list[dict] = field(default_factory=list)
    refuse: bool = False

    def __post_init__(self) -> None:
        self.waffo_key, _, self.waffo_public = _pair()  # Waffo's pair: the gateway gets the public half
        self.merchant_key, self.merchant_private, self.merchant_public = _pair()  # the merchant's pair
        super().__post_init__()

    def install(self, app: FastAPI) -> None:
        @app.post("/order/create")
        async def create(request: Request) -> Response:
            raw, headers = await self.record(request)
            public = serialization.load_der_public_key(base64.b64decode(self.merchant_public))
            try:
                public.verify(base64.b64decode(headers.get("x-signature", "")), raw, padding.PKCS1v15(),
                              hashes.SHA256())
                signed_ok = headers.get("x-api-key") == API_KEY
            except (InvalidSignature, ValueError):
                signed_ok = False
            order = orjson.loads(raw)
            if not signed_ok:
                reply = {"code": "A0001", "msg": "signature or api key invalid"}
            elif self.refuse:
                reply = {"code": "B0002", "msg": "merchant refused"}
            else:
                self.orders.append(order)
                action = orjson.dumps({"webUrl": f"https://cashier.waffo.test/pay/{order['merchantOrderId']}"})
                reply = {"code": "0", "msg": "success", "data": {
                    "paymentRequestId": order["paymentRequestId"], "merchantOrderId": order["merchantOrderId"],
                    "acquiringOrderId": "A" + order["merchantOrderId"][-8:], "orderStatus": "PAY_IN_PROGRESS",
                    "orderAction": action.decode()}}
            body = orjson.dumps(reply)
            return Response(body, media_type="application/json",
                            headers={"X-SIGNATURE": rsa_sign(self.waffo_key, body)})

    def notification(self, trade_no: str, status: str = "PAY_SUCCESS") -> tuple[bytes, str]:
        """A payment notification body and its `X-SIGNATURE`, as Waffo posts them."""
        body = orjson.dumps({"eventType": "PAYMENT_NOTIFICATION", "result": {
            "merchantOrderId": trade_no, "paymentRequestId": trade_no, "acquiringOrderId": "A1",
            "orderStatus": status, "orderAmount": "10.00", "orderCurrency": "USD"}})
        return body, rsa_sign(self.waffo_key, body)

    def verifies_answer(self, body: bytes, signature: str) -> bool:
        """Waffo checks the merchant's signed answer with the merchant's public key."""
        public = serialization.load_der_public_key(base64.b64decode(self.merchant_public))
        try:
            public.verify(base64.b64decode(signature), body, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return False
        return True
