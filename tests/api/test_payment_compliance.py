"""Payment compliance (new-api's `POST /api/option/payment_compliance`): no payment starts before
root confirms the terms from a console session; the record names who, when and from where and
cannot be written as a plain option; orders created before keep being credited."""

from urllib.parse import urlencode

from mgmt_helpers import PASSWORD, app_client, auth, data, make_user, refused
from test_epay_topup import QPU, _configure, _notify_params, _pay, _quota

from backend.models.enums import Role
from backend.services import options, payment_compliance


def _unconfirm() -> None:
    options.replace({payment_compliance.CONFIRMED: "false", payment_compliance.VERSION: ""}, [])


def test_no_payment_until_root_confirms_from_a_session(storage):
    _configure()
    _unconfirm()
    root, admin, user = make_user("root1", Role.ROOT), make_user("admin1", Role.ADMIN), make_user("alice")
    c = app_client()
    r = c.post("/api/user/pay", json={"amount": 10, "payment_method": "alipay"}, headers=auth(user))
    assert r.status_code == 403 and "terms" in r.json()["data"]
    info = data(c.get("/api/user/topup/info", headers=auth(user)))
    assert info["enable_online_topup"] is False
    # Only root, only from a logged-in session, only with confirmed=true; never as a plain option.
    assert refused(c.post("/api/option/payment_compliance", json={"confirmed": True}, headers=auth(admin)), 403)
    assert refused(c.post("/api/option/payment_compliance", json={"confirmed": True}, headers=auth(root)), 403)
    assert refused(c.put("/api/option/", json={"key": "payment_setting.compliance_confirmed", "value": "true"},
                         headers=auth(root)), 400)
    assert payment_compliance.confirmed() is False
    session = app_client()
    uid = data(session.post("/api/user/login", json={"username": "root1", "password": PASSWORD}))["id"]
    headers = {"New-Api-User": str(uid)}
    assert refused(session.post("/api/option/payment_compliance", json={"confirmed": False}, headers=headers), 400)
    done = data(session.post("/api/option/payment_compliance", json={"confirmed": True}, headers=headers))
    assert done["confirmed"] is True and done["terms_version"] == "v1" and done["confirmed_by"] == root.id
    status = data(session.get("/api/option/payment_compliance", headers=headers))
    assert status["confirmed"] is True and status["confirmed_at"] == done["confirmed_at"]
    assert options.get(payment_compliance.CONFIRMED_IP) == "testclient"
    assert data(c.get("/api/user/topup/info", headers=auth(user)))["enable_online_topup"] is True
    assert _pay(c, user, 10)["message"] == "success"


def test_an_order_made_before_is_credited_even_if_the_terms_lapse(storage):
    _configure()
    user = make_user("bob")
    c = app_client()
    order = _pay(c, user, 10)["data"]
    _unconfirm()  # e.g. a new terms version
    assert c.get("/api/user/epay/notify?" + urlencode(_notify_params(order))).text == "success"
    assert _quota(user.id) == 10 * QPU
