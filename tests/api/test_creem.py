"""Creem end to end against a fake Creem API: the checkout, webhooks signed as Creem signs them,
duplicate and concurrent deliveries credited once, bad signatures, and subscription purchases."""

import threading

import httpx
import pytest
from mgmt_helpers import app_client, auth, data, make_user
from sqlmodel import select

from backend.config import reset_settings
from backend.db import session_scope
from backend.main import create_app
from backend.models import TopUp, User, UserSubscription
from backend.models.enums import Role
from backend.services import options, payment_compliance
from tests.conftest import LiveServer
from tests.fakes.creem_api import API_KEY, FakeCreem, completed, sign

SECRET = "creem_whsec"
PRODUCTS = '[{"productId":"prod_small","name":"Small","price":4.99,"currency":"USD","quota":250000}]'


@pytest.fixture
def fake_creem(monkeypatch):
    fake = FakeCreem()
    with LiveServer(fake.app) as server:
        monkeypatch.setenv("CREEM_API_BASE", server.url)
        reset_settings()
        for k, v in {"CreemApiKey": API_KEY, "CreemWebhookSecret": SECRET, "CreemProducts": PRODUCTS}.items():
            options.update(k, v)
        payment_compliance.confirm(1, "127.0.0.1")
        yield fake
    reset_settings()


def _quota(user_id: int) -> int:
    with session_scope() as s:
        return s.get(User, user_id).quota


def _deliver(c, payload: bytes, secret: str = SECRET):
    return c.post("/api/creem/webhook", content=payload, headers={"creem-signature": sign(payload, secret)})


def _pay(c, user) -> str:
    r = c.post("/api/user/creem/pay", json={"product_id": "prod_small", "payment_method": "creem"},
               headers=auth(user))
    body = r.json()
    assert r.status_code == 200 and body["message"] == "success", body
    assert body["data"]["checkout_url"].startswith("https://checkout.creem.test/")
    return body["data"]["order_id"]


def test_checkout_and_webhook_credit_once(storage, fake_creem):
    user = make_user("alice", quota=3)
    c = app_client()
    info = data(c.get("/api/user/topup/info", headers=auth(user)))
    assert info["enable_creem_topup"] is True and info["creem_products"][0]["productId"] == "prod_small"
    ref = _pay(c, user)
    sent = fake_creem.checkouts[-1]
    assert (sent["product_id"], sent["request_id"]) == ("prod_small", ref) and ref.startswith("ref_")
    with session_scope() as s:
        order = s.exec(select(TopUp).where(TopUp.trade_no == ref)).one()
        assert (order.status, order.amount, order.money, order.payment_provider) == ("pending", 250000, 4.99,
                                                                                    "creem")
    paid = completed(ref)
    assert _deliver(c, paid, secret="wrong").status_code == 401
    assert c.post("/api/creem/webhook", content=paid).status_code == 401
    assert _quota(user.id) == 3
    header = sign(paid, SECRET)
    with LiveServer(create_app()) as gw:
        barrier = threading.Barrier(5)
        codes: list[int] = []

        def go() -> None:
            barrier.wait()
            codes.append(httpx.post(f"{gw.url}/api/creem/webhook", content=paid, timeout=30,
                                    headers={"creem-signature": header}).status_code)

        threads = [threading.Thread(target=go) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert codes == [200] * 5
    assert _deliver(c, paid).status_code == 200
    assert _quota(user.id) == 3 + 250000


def test_unpaid_unknown_and_malformed_events(storage, fake_creem):
    user = make_user("bob")
    c = app_client()
    ref = _pay(c, user)
    assert _deliver(c, completed(ref, status="pending")).status_code == 200
    assert _deliver(c, completed("ref_unknown")).status_code == 200
    assert _deliver(c, b"not json").status_code == 400
    assert _quota(user.id) == 0
    r = c.post("/api/user/creem/pay", json={"product_id": "nope", "payment_method": "creem"}, headers=auth(user))
    assert r.status_code == 400 and r.json()["message"] == "error"
    r = c.post("/api/user/creem/pay", json={"product_id": "prod_small", "payment_method": "alipay"},
               headers=auth(user))
    assert r.status_code == 400


def test_subscription_through_creem(storage, fake_creem):
    admin, user = make_user("root", Role.ROOT), make_user("carol")
    c = app_client()
    plan = data(c.post("/api/subscription/admin/plans", headers=auth(admin), json={"plan": {
        "title": "Creem plan", "price_amount": 5, "total_amount": 1000, "creem_product_id": "prod_sub"}}))
    r = c.post("/api/subscription/creem/pay", json={"plan_id": plan["id"]}, headers=auth(user))
    ref = r.json()["data"]["order_id"]
    assert ref.startswith("sub_ref_") and fake_creem.checkouts[-1]["product_id"] == "prod_sub"
    paid = completed(ref, order_type="onetime")
    assert _deliver(c, paid).status_code == 200 and _deliver(c, paid).status_code == 200
    with session_scope() as s:
        assert len(s.exec(select(UserSubscription).where(UserSubscription.user_id == user.id)).all()) == 1
    assert _quota(user.id) == 1000
