"""Subscription plans end to end: admin CRUD, purchase through Epay (MD5-signed notifies) and Stripe
(webhooks signed as Stripe signs them, against the fake Stripe API), completion exactly once under
duplicate and concurrent deliveries, the periodic quota grant once per period even when two
"instances" grant at the same moment, expiry with the group upgrade undone, and the user's views."""

import threading
import time

import httpx
from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select
from test_epay_topup import KEY, _configure, _epay_sign
from test_stripe_topup import WHSEC, _deliver, fake_stripe  # noqa: F401 (the fixture)

from backend.db import log_session_scope, session_scope
from backend.main import create_app
from backend.models import Log, SubscriptionOrder, SubscriptionQuotaGrant, TopUp, User, UserSubscription
from backend.models.enums import LogType, Role
from backend.services import options, payment_compliance, subscription_grants, subscriptions
from tests.conftest import LiveServer
from tests.fakes.stripe_api import event, sign_webhook

DAY = 86400
PLAN = {"title": "Pro", "subtitle": "monthly", "price_amount": 9.9, "duration_unit": "month", "duration_value": 1,
        "total_amount": 2_500_000, "quota_reset_period": "daily", "stripe_price_id": "price_sub"}


def _admin():
    return make_user("root", Role.ROOT)


def _plan(c, admin, **changes) -> dict:
    return data(c.post("/api/subscription/admin/plans", json={"plan": {**PLAN, **changes}}, headers=auth(admin)))


def _quota(user_id: int) -> int:
    with session_scope() as s:
        return s.get(User, user_id).quota


def _subs(user_id: int) -> list[UserSubscription]:
    with session_scope() as s:
        return list(s.exec(select(UserSubscription).where(UserSubscription.user_id == user_id)))


def _grants(sub_id: int) -> list[int]:
    with session_scope() as s:
        rows = s.exec(select(SubscriptionQuotaGrant).where(SubscriptionQuotaGrant.user_subscription_id == sub_id))
        return sorted(r.period for r in rows)


def _topup_logs(user_id: int) -> int:
    with log_session_scope() as s:
        return len(s.exec(select(Log).where(Log.user_id == user_id, Log.type == LogType.TOPUP)).all())


def _notify(params: dict, status: str = "TRADE_SUCCESS", key: str = KEY) -> dict[str, str]:
    out = {"pid": "1001", "trade_no": "EP1", "out_trade_no": params["out_trade_no"], "type": params["type"],
           "name": params["name"], "money": params["money"], "trade_status": status, "sign_type": "MD5"}
    out["sign"] = _epay_sign(out, key)
    return out


def _epay_buy(c, user, plan_id: int) -> dict:
    r = c.post("/api/subscription/epay/pay", json={"plan_id": plan_id, "payment_method": "alipay"},
               headers=auth(user))
    assert r.status_code == 200 and r.json()["message"] == "success", r.json()
    return r.json()


def test_admin_plan_crud_and_validation(storage):
    admin, user = _admin(), make_user("alice")
    c = app_client()
    plan = _plan(c, admin)
    assert plan["id"] > 0 and plan["currency"] == "USD" and plan["price_amount"] == 9.9
    assert refused(c.post("/api/subscription/admin/plans", json={"plan": PLAN}, headers=auth(user)), 403)
    for bad in ({"title": " "}, {"price_amount": -1}, {"price_amount": 10000}, {"duration_unit": "fortnight"},
                {"upgrade_group": "nope"}, {"total_amount": -5}, {"duration_unit": "custom", "custom_seconds": 0},
                {"quota_reset_period": "custom", "quota_reset_custom_seconds": 5}, {"duration_value": 5000}):
        assert refused(c.post("/api/subscription/admin/plans", json={"plan": {**PLAN, **bad}},
                              headers=auth(admin)), 400)
    data(c.put(f"/api/subscription/admin/plans/{plan['id']}", json={"plan": {**PLAN, "title": "Pro 2"}},
               headers=auth(admin)))
    assert refused(c.put("/api/subscription/admin/plans/999", json={"plan": PLAN}, headers=auth(admin)), 404)
    data(c.patch(f"/api/subscription/admin/plans/{plan['id']}", json={"enabled": False}, headers=auth(admin)))
    payment_compliance.confirm(admin.id, "127.0.0.1")
    assert data(c.get("/api/subscription/plans", headers=auth(user))) == []
    listed = data(c.get("/api/subscription/admin/plans", headers=auth(admin)))
    assert [(p["plan"]["title"], p["plan"]["enabled"]) for p in listed] == [("Pro 2", False)]
    assert c.post("/api/subscription/epay/pay", json={"plan_id": plan["id"], "payment_method": "alipay"},
                  headers=auth(user)).status_code == 400


def test_epay_purchase_completes_once_under_concurrent_notifies(storage):
    _configure(PayMethods='[{"name":"Alipay","type":"alipay"}]')
    admin, user = _admin(), make_user("bob", quota=7, group="default")
    c = app_client()
    plan = _plan(c, admin)
    body = _epay_buy(c, user, plan["id"])
    params = body["data"]
    assert body["url"] == "https://pay.example.com/submit.php" and params["sign"] == _epay_sign(params)
    assert params["money"] == "9.90" and params["name"] == "SUB:Pro"
    assert params["notify_url"] == "https://gw.example.com/api/subscription/epay/notify"
    assert params["out_trade_no"].startswith(f"SUBUSR{user.id}NO")

    bad = _notify(params, key="wrong")
    assert c.get("/api/subscription/epay/notify", params=bad).text == "fail"
    assert _quota(user.id) == 7 and _subs(user.id) == []

    good = _notify(params)
    with LiveServer(create_app()) as gw:
        barrier = threading.Barrier(5)
        answers: list[str] = []

        def go() -> None:
            barrier.wait()
            answers.append(httpx.post(f"{gw.url}/api/subscription/epay/notify", data=good, timeout=30).text)

        threads = [threading.Thread(target=go) for _ in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert answers == ["success"] * 5
    assert c.get("/api/subscription/epay/notify", params=good).text == "success"  # a later repeat
    assert _quota(user.id) == 7 + 2_500_000
    (sub,) = _subs(user.id)
    assert (sub.status, sub.plan_id, sub.amount_total, sub.source) == ("active", plan["id"], 2_500_000, "order")
    assert sub.next_reset_time == sub.start_time + DAY and _grants(sub.id) == [0]
    assert _topup_logs(user.id) == 1
    with session_scope() as s:
        order = s.exec(select(SubscriptionOrder)).one()
        assert (order.status, order.money, order.payment_method) == ("success", 9.9, "alipay")
        top = s.exec(select(TopUp).where(TopUp.trade_no == order.trade_no)).one()
        assert (top.status, top.amount, top.money) == ("success", 0, 9.9)
    # a top-up notify route does not complete a subscription order, nor the reverse
    assert c.post("/api/user/epay/notify", data=good).text == "fail"
    mine = data(c.get("/api/subscription/self", headers=auth(user)))
    assert mine["billing_preference"] == "subscription_first"
    assert [s["subscription"]["id"] for s in mine["subscriptions"]] == [sub.id]


def test_unknown_order_and_other_status_credit_nothing(storage):
    _configure(PayMethods='[{"name":"Alipay","type":"alipay"}]')
    admin, user = _admin(), make_user("carl")
    c = app_client()
    params = _epay_buy(c, user, _plan(c, admin)["id"])["data"]
    assert c.get("/api/subscription/epay/notify", params=_notify(params, status="WAIT_BUYER_PAY")).text == "success"
    forged = _notify({**params, "out_trade_no": f"SUBUSR{user.id}NOzzzzzz1"})
    assert c.get("/api/subscription/epay/notify", params=forged).text == "fail"
    assert _quota(user.id) == 0 and _subs(user.id) == []
    r = c.get("/api/subscription/epay/return", params=_notify(params), follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].endswith("/topup?pay=success")
    assert _quota(user.id) == 2_500_000


def test_stripe_purchase_completes_once(storage, fake_stripe):  # noqa: F811
    admin, user = _admin(), make_user("dora", quota=1)
    c = app_client()
    plan = _plan(c, admin)
    r = c.post("/api/subscription/stripe/pay", json={"plan_id": plan["id"]}, headers=auth(user))
    link = r.json()["data"]["pay_link"]
    session = fake_stripe.sessions[-1]
    _, _, form = fake_stripe.requests[-1]
    assert link == session["url"] and form["line_items[0][price]"] == "price_sub"
    assert form["line_items[0][quantity]"] == "1" and form["client_reference_id"].startswith("sub_ref_")
    paid = event("checkout.session.completed", session, status="complete", payment_status="paid")
    assert _deliver(c, paid, secret="whsec_wrong").status_code == 400
    assert _quota(user.id) == 1
    header = sign_webhook(paid, WHSEC)
    with LiveServer(create_app()) as gw:
        barrier = threading.Barrier(4)
        codes: list[int] = []

        def go() -> None:
            barrier.wait()
            codes.append(httpx.post(f"{gw.url}/api/stripe/webhook", content=paid, timeout=30,
                                    headers={"Stripe-Signature": header}).status_code)

        threads = [threading.Thread(target=go) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert codes == [200] * 4
    assert _quota(user.id) == 1 + 2_500_000 and len(_subs(user.id)) == 1 and _topup_logs(user.id) == 1
    # an expired session of another order marks it expired and never credits
    c.post("/api/subscription/stripe/pay", json={"plan_id": plan["id"]}, headers=auth(user))
    late = fake_stripe.sessions[-1]
    assert _deliver(c, event("checkout.session.expired", late, status="expired")).status_code == 200
    assert _deliver(c, event("checkout.session.completed", late, status="complete",
                             payment_status="paid")).status_code == 200
    assert _quota(user.id) == 1 + 2_500_000 and len(_subs(user.id)) == 1
    with session_scope() as s:
        states = {o.trade_no: o.status for o in s.exec(select(SubscriptionOrder))}
    assert states[late["client_reference_id"]] == "expired"


def test_plan_without_stripe_price_and_purchase_limit(storage, fake_stripe):  # noqa: F811
    admin, user = _admin(), make_user("erin")
    c = app_client()
    plan = _plan(c, admin, stripe_price_id="", max_purchase_per_user=1)
    r = c.post("/api/subscription/stripe/pay", json={"plan_id": plan["id"]}, headers=auth(user))
    assert r.status_code == 400 and "Stripe price" in r.json()["data"]
    data(c.post("/api/subscription/admin/bind", json={"user_id": user.id, "plan_id": plan["id"]},
                headers=auth(admin)))
    _configure(PayMethods='[{"name":"Alipay","type":"alipay"}]')
    r = c.post("/api/subscription/epay/pay", json={"plan_id": plan["id"], "payment_method": "alipay"},
               headers=auth(user))
    assert r.status_code == 400 and "limit" in r.json()["data"]


def test_periodic_grant_once_per_period_even_from_two_instances(storage):
    options.update("GroupRatio", '{"default": 1, "vip": 1}')
    admin, user = _admin(), make_user("fay", quota=0, group="default")
    c = app_client()
    plan = _plan(c, admin, upgrade_group="vip", duration_unit="day", duration_value=3)
    data(c.post(f"/api/subscription/admin/users/{user.id}/subscriptions", json={"plan_id": plan["id"]},
                headers=auth(admin)))
    (sub,) = _subs(user.id)
    with session_scope() as s:
        assert s.get(User, user.id).group == "vip"
    start = sub.start_time
    assert subscription_grants.run_once(start + DAY - 1) == {"granted": 0, "expired": 0}
    assert _quota(user.id) == 2_500_000

    now = start + DAY + 5
    barrier = threading.Barrier(6)
    got: list[int] = []

    def instance() -> None:
        barrier.wait()
        got.append(subscription_grants.grant(sub.id, now))

    threads = [threading.Thread(target=instance) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [0] * 5 + [2_500_000]
    assert subscription_grants.run_once(now + 60) == {"granted": 0, "expired": 0}
    assert _quota(user.id) == 2 * 2_500_000 and _grants(sub.id) == [0, 1]
    (sub,) = _subs(user.id)
    assert sub.next_reset_time == start + 2 * DAY and sub.last_reset_time == start + DAY

    assert subscription_grants.run_once(start + 2 * DAY)["granted"] == 1
    assert _quota(user.id) == 3 * 2_500_000 and _grants(sub.id) == [0, 1, 2]
    (sub,) = _subs(user.id)
    assert sub.next_reset_time == 0  # the next period would start at the end: none
    assert subscription_grants.run_once(start + 3 * DAY) == {"granted": 0, "expired": 1}
    (sub,) = _subs(user.id)
    assert sub.status == "expired" and _quota(user.id) == 3 * 2_500_000
    with session_scope() as s:
        assert s.get(User, user.id).group == "default"


def test_monthly_periods_follow_the_calendar():
    start = 1706659200  # 2024-01-31 00:00 UTC
    assert subscriptions.period_start("monthly", 0, start, 1) == 1709164800  # 2024-02-29
    assert subscriptions.period_start("monthly", 0, start, 2) == 1711843200  # 2024-03-31
    assert subscriptions.current_period("monthly", 0, start, 1709164800 - 1) == 0
    assert subscriptions.current_period("monthly", 0, start, 1711843200) == 2
    assert subscriptions.current_period("never", 0, start, start + 400 * DAY) == 0
    assert subscriptions.current_period("custom", 3600, start, start + 7201) == 2


def test_admin_invalidate_delete_and_preference(storage):
    admin, user = _admin(), make_user("gus")
    c = app_client()
    plan = _plan(c, admin)
    sub = data(c.post("/api/subscription/admin/bind", json={"user_id": user.id, "plan_id": plan["id"]},
                      headers=auth(admin)))
    assert refused(c.post("/api/subscription/admin/bind", json={"user_id": 9999, "plan_id": plan["id"]},
                          headers=auth(admin)), 404)
    listed = data(c.get(f"/api/subscription/admin/users/{user.id}/subscriptions", headers=auth(admin)))
    assert [s["subscription"]["id"] for s in listed] == [sub["id"]]
    data(c.post(f"/api/subscription/admin/user_subscriptions/{sub['id']}/invalidate", headers=auth(admin)))
    mine = data(c.get("/api/subscription/self", headers=auth(user)))
    assert mine["subscriptions"] == [] and mine["all_subscriptions"][0]["subscription"]["status"] == "cancelled"
    assert subscription_grants.run_once(int(time.time()) + 2 * DAY)["granted"] == 0
    data(c.delete(f"/api/subscription/admin/user_subscriptions/{sub['id']}", headers=auth(admin)))
    assert _subs(user.id) == []
    assert refused(c.delete(f"/api/subscription/admin/user_subscriptions/{sub['id']}", headers=auth(admin)), 404)
    pref = data(c.put("/api/subscription/self/preference", json={"billing_preference": "wallet_first"},
                      headers=auth(user)))
    assert pref == {"billing_preference": "wallet_first"}
    assert data(c.get("/api/subscription/self", headers=auth(user)))["billing_preference"] == "wallet_first"
