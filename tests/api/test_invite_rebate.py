"""Invite rebates (new-api's invite_rebate_setting.times/percent): the inviter earns `percent` % of
what an invitee pays on their first `times` wallet top-ups, once per order however often or
concurrently the payment notice arrives, only for invitees registered with an invite."""

import secrets
import threading
from urllib.parse import urlencode

from mgmt_helpers import app_client, data, make_user
from sqlmodel import select
from test_epay_topup import QPU, _configure, _notify_params, _pay, _quota

from backend.db import log_session_scope, session_scope
from backend.models import InviteRebate, Log, User
from backend.models.enums import LogType
from backend.services import invite_rebates, options, topups


def _register(c, name: str, aff: str) -> User:
    data(c.post("/api/user/register", json={"username": name, "password": "pass-word-1", "aff_code": aff}))
    with session_scope() as s:
        user = s.exec(select(User).where(User.username == name)).one()
        user.access_token = secrets.token_hex(16)  # so the helpers can act as them
        s.add(user)
        s.flush()
        return user


def _notify(c, order: dict) -> str:
    return c.get("/api/user/epay/notify?" + urlencode(_notify_params(order))).text


def _rebates() -> list[tuple[int, int, int]]:
    with session_scope() as s:
        return [(r.inviter_id, r.quota, r.sequence) for r in s.exec(select(InviteRebate)).all()]


def test_rebate_on_the_first_top_ups_once_each(storage):
    _configure()
    options.update("RegisterEnabled", "true")
    options.update("invite_rebate_setting.times", "2")
    options.update("invite_rebate_setting.percent", "15")
    inviter = make_user("inviter", quota=0)
    c = app_client()
    invitee = _register(c, "invitee", inviter.aff_code)
    assert invitee.invite_rebate_eligible and invitee.inviter_id == inviter.id
    orders = [_pay(c, invitee, amount)["data"] for amount in (10, 20, 30)]
    for order in orders:
        assert _notify(c, order) == "success"
        assert _notify(c, order) == "success"  # the provider repeats: nothing more
    # 15 % of the money paid (amount × Price 7.3), back at Price per dollar: 15 % of the dollars.
    assert _rebates() == [(inviter.id, int(10 * QPU * 0.15), 1), (inviter.id, int(20 * QPU * 0.15), 2)]
    assert _quota(inviter.id) == int(30 * QPU * 0.15)
    with session_scope() as s:
        assert s.get(User, inviter.id).aff_history_quota == int(30 * QPU * 0.15)
    with log_session_scope() as s:
        rows = s.exec(select(Log).where(Log.user_id == inviter.id, Log.type == int(LogType.SYSTEM))).all()
    assert len(rows) == 2 and "invite rebate" in rows[0].content


def test_concurrent_notices_pay_one_rebate(storage):
    _configure()
    options.update("invite_rebate_setting.times", "5")
    options.update("invite_rebate_setting.percent", "10")
    inviter = make_user("host")
    invitee = make_user("guest")
    with session_scope() as s:
        row = s.get(User, invitee.id)
        row.inviter_id, row.invite_rebate_eligible = inviter.id, True
        s.add(row)
    c = app_client()
    order = _pay(c, invitee, 10)["data"]
    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(_notify(app_client(), order))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == ["success"] * 5
    assert _rebates() == [(inviter.id, QPU, 1)]
    assert _quota(inviter.id) == QPU and _quota(invitee.id) == 10 * QPU
    # A crash between the credit and the rebate is recovered by the next repeat of the notice.
    with session_scope() as s:
        s.delete(s.exec(select(InviteRebate)).one())
    assert invite_rebates.grant(order["out_trade_no"]) is not None
    assert invite_rebates.grant(order["out_trade_no"]) is None


def test_no_rebate_when_off_ineligible_or_self(storage):
    _configure()
    options.update("invite_rebate_setting.times", "1")
    options.update("invite_rebate_setting.percent", "0")
    inviter, old_invitee = make_user("inv2"), make_user("old")
    with session_scope() as s:  # invited before rebates existed: inviter set, not eligible
        row = s.get(User, old_invitee.id)
        row.inviter_id = inviter.id
        s.add(row)
    c = app_client()
    order = _pay(c, old_invitee, 10)["data"]
    assert _notify(c, order) == "success"
    options.update("invite_rebate_setting.percent", "50")
    topups.pay_invite_rebate(order["out_trade_no"])
    assert _rebates() == [] and _quota(inviter.id) == 0
