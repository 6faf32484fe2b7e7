"""A fake Epay gateway on loopback for the browser test: it takes the signed form the console
posts to `/submit.php`, checks its MD5 signature, "pays", calls the merchant's notify_url twice
(Epay retries) with its own signed notice, and sends the browser back to return_url."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response


def md5_sign(params: dict[str, str], key: str) -> str:
    items = sorted((k, v) for k, v in params.items() if k not in ("sign", "sign_type") and v)
    return hashlib.md5(("&".join(f"{k}={v}" for k, v in items) + key).encode()).hexdigest()


class FakeEpay:
    def __init__(self, key: str) -> None:
        self.key = key
        self.forms: list[dict[str, str]] = []
        self.answers: list[str] = []
        self.app = FastAPI()
        self.app.post("/submit.php")(self._submit)

    async def _submit(self, request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        self.forms.append(form)
        if form.get("sign") != md5_sign(form, self.key):
            return PlainTextResponse("bad signature", 400)
        notice = {"pid": form["pid"], "trade_no": "EP" + form["out_trade_no"][-10:], "type": form["type"],
                  "out_trade_no": form["out_trade_no"], "name": form["name"], "money": form["money"],
                  "trade_status": "TRADE_SUCCESS", "sign_type": "MD5"}
        notice["sign"] = md5_sign(notice, self.key)
        async with httpx.AsyncClient(timeout=30) as client:
            for _ in range(2):
                self.answers.append((await client.get(form["notify_url"] + "?" + urlencode(notice))).text)
        return RedirectResponse(form["return_url"], 303)
