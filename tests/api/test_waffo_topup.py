"""Waffo end to end against a fake Waffo API: the RSA-signed order, the cashier page, notifications
signed as Waffo signs them credited once under duplicate and concurrent delivery, forged or unsigned
ones refused, failed payments marked, and the answer signed with the merchant's key."""

import threading

import httpx
import pytest
from mgmt_helpers import app_client, auth, data, make_user
from sqlmodel import select

from backend.config import reset_settings
from backend.db import session_scope
from backend.main import create_app
from backend.models import TopUp, User
from backend.services import options, payment_compliance
from tests.conftest import LiveServer
from tests.fakes.waffo_api import API_KEY, FakeWaffo

QPU = 500_000


@pytest.fixture
def fake_waffo(monkeypatch):
    with FakeWaffo() as fake:
        monkeypatch.setenv("WAFFO_API_BASE", fake.url)
        reset_settings()
        for k, v in {"WaffoEnabled": "true", "WaffoApiKey": API_KEY, "WaffoPrivateKey": fake.merchant_private,
                     "WaffoPublicCert": fake.waffo_public, "WaffoMerchantId": "M-1", "WaffoUnitPrice": "1.5",
                     "ServerAddress": "https://gw.example.com",
                     "WaffoPayMethods": '[{"name":"Card","payMethodType":"CREDITCARD","payMethodName":""}]'}.items():
            options.update(k, v)
        payment_compliance.confirm(1, "127.0.0.1")
        yield fake
    reset_settings()


def _quota(user_id: int) -> int:
    with session_scope() as s:
        return s.get(User, user_id).quota


def _order(trade_no: str) -> TopUp:
    with session_scope() as s:
        return s.exec(select(TopUp).where(TopUp.trade_no == trade_no)).one()


def _pay(c, user, amount: int = 10, **extra) -> dict:
    r = c.post("/api/user/waffo/pay", json={"amount": amount, **extra}, headers=auth(user))
    body = r.json()
    assert r.status_code == 200 and body["message"] == "success", body
    return body["data"]


def test_order_is_signed_and_paid_once(storage, fake_waffo):
    user = make_user("alice", quota=5)
    c = app_client()
    info = data(c.get("/api/user/topup/info", headers=auth(user)))
    assert info["enable_waffo_topup"] is True and info["waffo_pay_methods"][0]["name"] == "Card"
    assert data(c.post("/api/user/waffo/amount", json={"amount": 10}, headers=auth(user))) == "15.00"
    paid = _pay(c, user, 10, pay_method_index=0)
    trade_no = paid["order_id"]
    assert paid["payment_url"] == f"https://cashier.waffo.test/pay/{trade_no}"
    sent = fake_waffo.orders[-1]
    assert sent["merchantOrderId"] == trade_no and sent["orderAmount"] == "15.00" and sent["orderCurrency"] == "USD"
    assert sent["merchantInfo"]["merchantId"] == "M-1" and sent["paymentInfo"]["payMethodType"] == "CREDITCARD"
    assert sent["notifyUrl"] == "https://gw.example.com/api/waffo/webhook"
    order = _order(trade_no)
    assert (order.status, order.amount, order.money, order.payment_provider) == ("pending", 10, 15.0, "waffo")

    body, signature = fake_waffo.notification(trade_no)
    forged, _ = fake_waffo.notification(trade_no)
    assert c.post("/api/waffo/webhook", content=body).status_code == 400
    assert c.post("/api/waffo/webhook", content=forged.replace(b"10.00", b"99.00"),
                  headers={"X-SIGNATURE": signature}).status_code == 400
    assert _quota(user.id) == 5
    with LiveServer(create_app()) as gw:
        barrier = threading.Barrier(5)
        answers: list[httpx.Response] = []

        def go() -> None:
            barrier.wait()
            answers.append(httpx.post(f"{gw.url}/api/waffo/webhook", content=body, timeout=30,
                                      headers={"X-SIGNATURE": signature}))

        threads = [threading.Thread(target=go) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert [a.status_code for a in answers] == [200] * 5
    assert all(a.content == b'{"message":"success"}' for a in answers)
    assert all(fake_waffo.verifies_answer(a.content, a.headers["X-SIGNATURE"]) for a in answers)
    assert _quota(user.id) == 5 + 10 * QPU
    assert _order(trade_no).status == "success"


def test_failed_payment_refusals_and_upstream_errors(storage, fake_waffo):
    user = make_user("bob")
    c = app_client()
    trade_no = _pay(c, user, 3)["order_id"]
    body, signature = fake_waffo.notification(trade_no, status="ORDER_CLOSE")
    assert c.post("/api/waffo/webhook", content=body, headers={"X-SIGNATURE": signature}).status_code == 200
    assert _order(trade_no).status == "failed"
    body, signature = fake_waffo.notification(trade_no)  # paid after all: the money was taken, credit once
    for _ in range(2):
        assert c.post("/api/waffo/webhook", content=body, headers={"X-SIGNATURE": signature}).content == \
            b'{"message":"success"}'
    assert _quota(user.id) == 3 * QPU and _order(trade_no).status == "success"
    body, signature = fake_waffo.notification(trade_no, status="ORDER_CLOSE")  # a late close changes nothing
    assert c.post("/api/waffo/webhook", content=body, headers={"X-SIGNATURE": signature}).status_code == 200
    assert _order(trade_no).status == "success"
    for bad in ({"amount": 0}, {"amount": 10, "pay_method_index": 7},
                {"amount": 10, "pay_method_type": "CRYPTO", "pay_method_name": "x"}):
        r = c.post("/api/user/waffo/pay", json=bad, headers=auth(user))
        assert r.status_code == 400 and r.json()["success"] is False, r.json()
    fake_waffo.refuse = True
    r = c.post("/api/user/waffo/pay", json={"amount": 10}, headers=auth(user))
    assert r.status_code == 502 and "could not start" in r.json()["data"]
    with session_scope() as s:
        statuses = sorted(o.status for o in s.exec(select(TopUp).where(TopUp.user_id == user.id)).all())
    assert statuses == ["failed", "success"]
    options.update("WaffoEnabled", "false")
    r = c.post("/api/user/waffo/pay", json={"amount": 10}, headers=auth(user))
    assert r.status_code == 400 and "not enabled" in r.json()["data"]
    secrets_shown = data(c.get("/api/user/topup/info", headers=auth(user)))
    assert fake_waffo.merchant_private not in str(secrets_shown)
