"""Stripe end to end with the official library against a fake Stripe API on loopback: the
Checkout Session, then webhooks signed the way Stripe signs them; duplicates, concurrent
deliveries, bad and stale signatures, expiry, and an Epay order no Stripe event may complete."""

import threading
import time

import httpx
import pytest
from mgmt_helpers import app_client, auth, make_user
from sqlmodel import select

from backend.config import reset_settings
from backend.db import log_session_scope, session_scope
from backend.models import Log, TopUp, User
from backend.models.enums import LogType
from backend.services import options, payment_compliance
from tests.conftest import LiveServer
from tests.fakes.stripe_api import FakeStripe, event, sign_webhook

WHSEC = "whsec_test_secret"
QPU = 500_000


@pytest.fixture
def fake_stripe(monkeypatch):
    fake = FakeStripe()
    with LiveServer(fake.app) as server:
        monkeypatch.setenv("STRIPE_API_BASE", server.url)
        reset_settings()
        for k, v in {"StripeApiSecret": "sk_test_123", "StripeWebhookSecret": WHSEC, "StripePriceId": "price_abc",
                     "StripeUnitPrice": "8.0", "StripeMinTopUp": "1",
                     "ServerAddress": "https://gw.example.com"}.items():
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


def _checkout(c, user, amount: int) -> str:
    r = c.post("/api/user/stripe/pay", json={"amount": amount, "payment_method": "stripe"}, headers=auth(user))
    body = r.json()
    assert r.status_code == 200 and body["message"] == "success", body
    return body["data"]["pay_link"]


def _deliver(c, payload: bytes, *, secret: str = WHSEC, timestamp: int | None = None):
    return c.post("/api/stripe/webhook", content=payload,
                  headers={"Stripe-Signature": sign_webhook(payload, secret, timestamp),
                           "Content-Type": "application/json"})


def _topup_logs(user_id: int) -> int:
    with log_session_scope() as s:
        return len(s.exec(select(Log).where(Log.user_id == user_id, Log.type == LogType.TOPUP)).all())


def test_checkout_session_and_paid_webhook_credit_once(storage, fake_stripe):
    user = make_user("alice", quota=5)
    c = app_client()
    link = _checkout(c, user, 12)
    session = fake_stripe.sessions[-1]
    assert link == session["url"]
    _, headers, form = fake_stripe.requests[-1]
    assert headers["authorization"] == "Bearer sk_test_123"
    assert form["line_items[0][price]"] == "price_abc" and form["line_items[0][quantity]"] == "12"
    assert form["mode"] == "payment" and form["customer_creation"] == "always"
    assert form["success_url"] == "https://gw.example.com/topup"
    trade_no = form["client_reference_id"]
    assert trade_no.startswith("ref_") and len(trade_no) == 44
    order = _order(trade_no)
    assert (order.status, order.amount, order.money, order.payment_provider) == ("pending", 12, 12.0, "stripe")

    paid = event("checkout.session.completed", session, status="complete", payment_status="paid",
                 customer="cus_123")
    assert _deliver(c, paid).status_code == 200
    assert _quota(user.id) == 5 + 12 * QPU
    assert _deliver(c, paid).status_code == 200  # Stripe redelivers: no second credit
    assert _quota(user.id) == 5 + 12 * QPU and _topup_logs(user.id) == 1
    assert _order(trade_no).status == "success"
    with session_scope() as s:
        assert s.get(User, user.id).stripe_customer == "cus_123"
    _checkout(c, user, 1)
    assert fake_stripe.requests[-1][2]["customer"] == "cus_123"  # the known customer is reused


def test_concurrent_duplicate_webhooks_credit_once(storage, fake_stripe):
    from backend.main import create_app

    user = make_user("bob")
    c = app_client()
    _checkout(c, user, 7)
    paid = event("checkout.session.completed", fake_stripe.sessions[-1], status="complete", payment_status="paid")
    header = sign_webhook(paid, WHSEC)
    with LiveServer(create_app()) as gw:
        barrier = threading.Barrier(5)
        codes: list[int] = []

        def go() -> None:
            barrier.wait()
            codes.append(httpx.post(f"{gw.url}/api/stripe/webhook", content=paid, timeout=30,
                                    headers={"Stripe-Signature": header}).status_code)

        threads = [threading.Thread(target=go) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert codes == [200] * 5
    assert _quota(user.id) == 7 * QPU and _topup_logs(user.id) == 1


def test_bad_and_stale_signatures_are_refused(storage, fake_stripe):
    user = make_user("carol")
    c = app_client()
    _checkout(c, user, 3)
    paid = event("checkout.session.completed", fake_stripe.sessions[-1], status="complete", payment_status="paid")
    assert _deliver(c, paid, secret="whsec_wrong").status_code == 400
    assert _deliver(c, paid, timestamp=int(time.time()) - 301).status_code == 400
    header = sign_webhook(paid, WHSEC)
    tampered = paid.replace(b'"paid"', b'"paid" ')
    assert c.post("/api/stripe/webhook", content=tampered, headers={"Stripe-Signature": header}).status_code == 400
    assert c.post("/api/stripe/webhook", content=paid).status_code == 400
    assert c.post("/api/stripe/webhook", content=paid, headers={"Stripe-Signature": "garbage"}).status_code == 400
    assert _quota(user.id) == 0
    assert _deliver(c, paid, timestamp=int(time.time()) - 200).status_code == 200  # within 300 s
    assert _quota(user.id) == 3 * QPU


def test_unpaid_expired_and_foreign_orders(storage, fake_stripe):
    user = make_user("dave")
    c = app_client()
    _checkout(c, user, 4)
    session = fake_stripe.sessions[-1]
    unpaid = event("checkout.session.completed", session, status="complete", payment_status="unpaid")
    assert _deliver(c, unpaid).status_code == 200 and _quota(user.id) == 0
    assert _deliver(c, event("checkout.session.expired", session, status="expired")).status_code == 200
    assert _order(session["client_reference_id"]).status == "expired"
    paid = event("checkout.session.completed", session, status="complete", payment_status="paid")
    assert _deliver(c, paid).status_code == 200 and _quota(user.id) == 0  # an expired order is not credited
    # an Epay order cannot be completed by a Stripe event
    with session_scope() as s:
        s.add(TopUp(user_id=user.id, amount=50, money=365.0, trade_no="USR1NOepay1", payment_method="alipay",
                    payment_provider="epay", status="pending", create_time=int(time.time())))
    foreign = event("checkout.session.completed", dict(session, client_reference_id="USR1NOepay1"),
                    status="complete", payment_status="paid")
    assert _deliver(c, foreign).status_code == 200
    assert _quota(user.id) == 0 and _order("USR1NOepay1").status == "pending"
    unknown = event("checkout.session.completed", dict(session, client_reference_id="ref_nothing"),
                    status="complete", payment_status="paid")
    assert _deliver(c, unknown).status_code == 200 and _quota(user.id) == 0


def test_group_ratio_quote_and_credit(storage, fake_stripe):
    """new-api's formulas: quote = amount × StripeUnitPrice × ratio; credit = amount × ratio × QuotaPerUnit."""
    options.update("TopupGroupRatio", '{"default":1,"vip":1.5}')
    vip = make_user("vipper", group="vip")
    c = app_client()
    quote = c.post("/api/user/stripe/amount", json={"amount": 3, "payment_method": "stripe"}, headers=auth(vip))
    assert quote.json()["data"] == "36.00"
    _checkout(c, vip, 3)
    session = fake_stripe.sessions[-1]
    assert _order(session["client_reference_id"]).money == 4.5
    _deliver(c, event("checkout.session.completed", session, status="complete", payment_status="paid"))
    assert _quota(vip.id) == 2_250_000


def test_refusals(storage, fake_stripe):
    user = make_user("erin")
    c = app_client()
    for body in ({"amount": 0, "payment_method": "stripe"}, {"amount": 10_001, "payment_method": "stripe"},
                 {"amount": 5, "payment_method": "alipay"}):
        r = c.post("/api/user/stripe/pay", json=body, headers=auth(user))
        assert r.status_code == 400 and r.json()["message"] == "error", r.json()
    fake_stripe.fail_next = True
    r = c.post("/api/user/stripe/pay", json={"amount": 5, "payment_method": "stripe"}, headers=auth(user))
    assert r.status_code == 502 and r.json()["data"] == "could not start the payment"
    options.update("StripeApiSecret", "pk_live_nope")
    r = c.post("/api/user/stripe/pay", json={"amount": 5, "payment_method": "stripe"}, headers=auth(user))
    assert r.status_code == 400
    with session_scope() as s:
        assert s.exec(select(TopUp)).all() == []  # no order without a session


def test_admin_completes_a_stripe_order_with_its_formula(storage, fake_stripe):
    from backend.models.enums import Role

    admin, user = make_user("admin", Role.ADMIN), make_user("fay")
    c = app_client()
    _checkout(c, user, 2)
    trade_no = fake_stripe.sessions[-1]["client_reference_id"]
    assert c.post("/api/user/topup/complete", json={"trade_no": trade_no}, headers=auth(admin)).json()["success"]
    assert _quota(user.id) == 2 * QPU
    paid = event("checkout.session.completed", fake_stripe.sessions[-1], status="complete", payment_status="paid")
    assert _deliver(c, paid).status_code == 200 and _quota(user.id) == 2 * QPU
