"""Epay end to end: the signed purchase form, the notify (GET and POST), exactly-once credits under
duplicate and concurrent deliveries, quotes, order history and the admin's manual completion.

The test signs notifies itself (MD5 as go-epay and Epay servers do), independently of the code.
"""

import hashlib
import threading
from urllib.parse import urlencode

import httpx
from mgmt_helpers import app_client, auth, data, make_user, refused
from sqlmodel import select

from backend.db import log_session_scope, session_scope
from backend.models import Log, TopUp, User
from backend.models.enums import LogType, Role
from backend.services import options, payment_compliance

KEY = "epay-merchant-key"
QPU = 500_000


def _epay_sign(params: dict[str, str], key: str = KEY) -> str:
    items = sorted((k, v) for k, v in params.items() if k not in ("sign", "sign_type") and v)
    return hashlib.md5(("&".join(f"{k}={v}" for k, v in items) + key).encode()).hexdigest()


def _configure(**extra: str) -> None:
    settings = {"PayAddress": "https://pay.example.com/", "EpayId": "1001", "EpayKey": KEY,
                "ServerAddress": "https://gw.example.com", "Price": "7.3", "MinTopUp": "1", **extra}
    for k, v in settings.items():
        options.update(k, v)
    payment_compliance.confirm(1, "127.0.0.1")


def _notify_params(order: dict, *, status: str = "TRADE_SUCCESS", key: str = KEY) -> dict[str, str]:
    params = {"pid": "1001", "trade_no": "EP" + order["out_trade_no"][-8:], "out_trade_no": order["out_trade_no"],
              "type": order["type"], "name": order["name"], "money": order["money"], "trade_status": status,
              "sign_type": "MD5"}
    params["sign"] = _epay_sign(params, key)
    return params


def _quota(user_id: int) -> int:
    with session_scope() as s:
        return s.get(User, user_id).quota


def _order(trade_no: str) -> TopUp:
    with session_scope() as s:
        return s.exec(select(TopUp).where(TopUp.trade_no == trade_no)).one()


def _pay(c, user, amount: int = 10, method: str = "alipay") -> dict:
    r = c.post("/api/user/pay", json={"amount": amount, "payment_method": method}, headers=auth(user))
    body = r.json()
    assert r.status_code == 200 and body["message"] == "success", body
    return body


def test_purchase_form_is_signed_and_priced(storage):
    _configure()
    user = make_user("alice")
    c = app_client()
    body = _pay(c, user, 10)
    params = body["data"]
    assert body["url"] == "https://pay.example.com/submit.php"
    assert set(params) == {"pid", "type", "out_trade_no", "notify_url", "return_url", "name", "money", "sign_type",
                           "sign"}
    assert params["sign"] == _epay_sign(params) and params["sign_type"] == "MD5"
    assert params["money"] == "73.00" and params["name"] == "TUC10" and params["pid"] == "1001"
    assert params["notify_url"] == "https://gw.example.com/api/user/epay/notify"
    assert params["out_trade_no"].startswith(f"USR{user.id}NO")
    order = _order(params["out_trade_no"])
    assert (order.status, order.amount, order.money, order.payment_provider) == ("pending", 10, 73.0, "epay")
    options.update("CustomCallbackAddress", "https://cb.example.com")
    assert _pay(c, user, 10)["data"]["notify_url"] == "https://cb.example.com/api/user/epay/notify"


def test_group_ratio_and_discount_priced_exactly(storage):
    _configure(TopupGroupRatio='{"default":1,"vip":0.8}', **{"payment_setting.amount_discount": '{"100":0.9}'})
    vip = make_user("vipper", group="vip")
    c = app_client()
    # 100 × 7.3 × 0.8 × 0.9 = 525.6 exactly (in floats it would be 525.6000000000001)
    assert _pay(c, vip, 100)["data"]["money"] == "525.60"
    assert data(c.post("/api/user/amount", json={"amount": 100}, headers=auth(vip))) == "525.60"
    assert data(c.post("/api/user/amount", json={"amount": 3}, headers=auth(vip))) == "17.52"  # 3×7.3×0.8


def test_refusals(storage):
    user = make_user("bob")
    c = app_client()
    r = c.post("/api/user/pay", json={"amount": 10, "payment_method": "alipay"}, headers=auth(user))
    assert r.status_code == 400 and r.json()["message"] == "error" and "not configured" in r.json()["data"]
    _configure(MinTopUp="5")
    for amount, method in ((4, "alipay"), (10, "bitcoin"), (-1, "alipay")):
        r = c.post("/api/user/pay", json={"amount": amount, "payment_method": method}, headers=auth(user))
        assert r.status_code == 400 and r.json()["success"] is False, r.json()
    assert c.post("/api/user/pay", json={"amount": 10, "payment_method": "alipay"}).status_code == 401
    with session_scope() as s:
        assert s.exec(select(TopUp)).all() == []


def test_notify_credits_once_get_and_post(storage):
    _configure()
    user = make_user("carol", quota=7)
    c = app_client()
    order = _pay(c, user, 10)["data"]
    params = _notify_params(order)
    assert c.get("/api/user/epay/notify?" + urlencode(params)).text == "success"
    assert _quota(user.id) == 7 + 10 * QPU
    # Epay retries until it reads "success": the repeat answers success and credits nothing.
    assert c.post("/api/user/epay/notify", content=urlencode(params),
                  headers={"Content-Type": "application/x-www-form-urlencoded"}).text == "success"
    assert c.get("/api/user/epay/notify?" + urlencode(params)).text == "success"
    assert _quota(user.id) == 7 + 10 * QPU
    done = _order(order["out_trade_no"])
    assert done.status == "success" and done.complete_time > 0
    with log_session_scope() as s:
        logs = s.exec(select(Log).where(Log.user_id == user.id, Log.type == LogType.TOPUP)).all()
    assert len(logs) == 1 and logs[0].quota == 10 * QPU
    # the live balance the relay reads sees the credit
    assert data(c.get("/api/user/self", headers=auth(user)))["quota"] == 7 + 10 * QPU


def test_post_notify_form_credits(storage):
    _configure()
    user = make_user("dave")
    c = app_client()
    order = _pay(c, user, 2, "wxpay")["data"]
    body = urlencode(_notify_params(order))
    assert c.post("/api/user/epay/notify", content=body,
                  headers={"Content-Type": "application/x-www-form-urlencoded"}).text == "success"
    assert _quota(user.id) == 2 * QPU


def test_bad_signatures_and_unknown_orders_credit_nothing(storage):
    _configure()
    user = make_user("erin")
    c = app_client()
    order = _pay(c, user, 10)["data"]
    forged = _notify_params(order, key="wrong-key")
    assert c.get("/api/user/epay/notify?" + urlencode(forged)).text == "fail"
    tampered = _notify_params(order)
    tampered["money"] = "0.01"  # signed for 73.00
    assert c.get("/api/user/epay/notify?" + urlencode(tampered)).text == "fail"
    unsigned = {k: v for k, v in _notify_params(order).items() if k != "sign"}
    assert c.get("/api/user/epay/notify?" + urlencode(unsigned)).text == "fail"
    assert c.get("/api/user/epay/notify").text == "fail"
    unknown = dict(order, out_trade_no="USR1NOnothere123")
    assert c.get("/api/user/epay/notify?" + urlencode(_notify_params(unknown))).text == "fail"
    # a signed notice of another status is acknowledged and credits nothing
    assert c.get("/api/user/epay/notify?" + urlencode(_notify_params(order, status="WAIT_BUYER_PAY"))).text == "success"
    assert _quota(user.id) == 0 and _order(order["out_trade_no"]).status == "pending"


def test_five_concurrent_notifies_credit_once(live_gateway):
    _configure()
    user = make_user("frank", quota=1)
    c = app_client()
    order = _pay(c, user, 3)["data"]
    url = f"{live_gateway.url}/api/user/epay/notify?" + urlencode(_notify_params(order))
    barrier = threading.Barrier(5)
    answers: list[str] = []

    def go() -> None:
        barrier.wait()
        answers.append(httpx.get(url, timeout=30).text)

    threads = [threading.Thread(target=go) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == ["success"] * 5
    assert _quota(user.id) == 1 + 3 * QPU
    with log_session_scope() as s:
        assert len(s.exec(select(Log).where(Log.user_id == user.id, Log.type == LogType.TOPUP)).all()) == 1


def test_tokens_display_amounts(storage):
    """In TOKENS display the console sends quota; the order keeps whole dollars and credits those."""
    _configure(**{"general_setting.quota_display_type": "TOKENS"})
    user = make_user("gina")
    c = app_client()
    order = _pay(c, user, 2 * QPU)["data"]
    assert order["money"] == "14.60"
    assert _order(order["out_trade_no"]).amount == 2
    assert c.get("/api/user/epay/notify?" + urlencode(_notify_params(order))).text == "success"
    assert _quota(user.id) == 2 * QPU
    r = c.post("/api/user/pay", json={"amount": QPU - 1, "payment_method": "alipay"}, headers=auth(user))
    assert r.status_code == 400  # below MinTopUp ($1) in quota


def test_history_and_admin_complete_once(storage):
    _configure()
    admin, user, other = make_user("admin", Role.ADMIN), make_user("hank"), make_user("ivy")
    c = app_client()
    first = _pay(c, user, 4)["data"]["out_trade_no"]
    second = _pay(c, user, 6)["data"]["out_trade_no"]
    _pay(c, other, 1)
    mine = data(c.get("/api/user/topup/self?p=1&page_size=10", headers=auth(user)))
    assert mine["total"] == 2 and [o["trade_no"] for o in mine["items"]] == [second, first]
    assert data(c.get(f"/api/user/topup/self?keyword={first[:-10]}", headers=auth(user)))["total"] == 1
    refused(c.get("/api/user/topup", headers=auth(user)), 403)
    refused(c.post("/api/user/topup/complete", json={"trade_no": first}, headers=auth(user)), 403)
    everything = data(c.get("/api/user/topup?page_size=2", headers=auth(admin)))
    assert everything["total"] == 3 and len(everything["items"]) == 2
    assert data(c.get(f"/api/user/topup?keyword={second}", headers=auth(admin)))["items"][0]["user_id"] == user.id

    barrier = threading.Barrier(4)
    results: list[bool] = []

    def go() -> None:
        barrier.wait()
        results.append(c.post("/api/user/topup/complete", json={"trade_no": first}, headers=auth(admin)).json()["success"])

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(results)
    assert _quota(user.id) == 4 * QPU
    with log_session_scope() as s:
        assert len(s.exec(select(Log).where(Log.user_id == user.id, Log.type == LogType.TOPUP)).all()) == 1
    # the provider's late notify for the completed order credits nothing more
    order = {"out_trade_no": first, "type": "alipay", "name": "TUC4", "money": "29.20"}
    assert c.get("/api/user/epay/notify?" + urlencode(_notify_params(order))).text == "success"
    assert _quota(user.id) == 4 * QPU
    refused(c.post("/api/user/topup/complete", json={"trade_no": "nope"}, headers=auth(admin)), 404)
    refused(c.post("/api/user/topup/complete", json={"trade_no": ""}, headers=auth(admin)), 400)


def test_topup_info(storage):
    user = make_user("jack")
    c = app_client()
    info = data(c.get("/api/user/topup/info", headers=auth(user)))
    assert info["enable_online_topup"] is False and info["pay_methods"] == []
    _configure(MinTopUp="2")
    info = data(c.get("/api/user/topup/info", headers=auth(user)))
    assert info["enable_online_topup"] is True and info["min_topup"] == 2
    assert [m["type"] for m in info["pay_methods"]] == ["alipay", "wxpay"]
    assert info["amount_options"] == [10, 20, 50, 100, 200, 500]
