import json
import threading

import pytest
from sqlmodel import select

from backend.auth.passwords import hash_password
from backend.db import log_session_scope, session_scope
from backend.models import Log, Redemption, User
from backend.models.enums import LogType, RedemptionStatus
from backend.models.schemas.redemption import RedemptionCreate
from backend.services import ledger, redemptions
from backend.services.errors import ServiceError


def _user(name: str, quota: int = 0) -> User:
    with session_scope() as s:
        u = User(username=name, password=hash_password("pass-word-1"), quota=quota)
        s.add(u)
        s.flush()
        return u


def test_redeem_moves_the_live_balance(storage):
    u = _user("topper", quota=100)
    book = ledger.get_ledger()
    assert book.user_quota(u.id) == 100
    [key] = redemptions.create_codes(u.id, RedemptionCreate(name="gift", quota=900))
    assert redemptions.redeem(u, key) == 900
    assert book.user_quota(u.id) == 1000


def test_many_codes_many_threads_each_once(storage):
    u = _user("hoarder")
    keys = redemptions.create_codes(u.id, RedemptionCreate(name="bulk", quota=10, count=5))
    barrier = threading.Barrier(15)
    won: list[str] = []

    def go(key: str) -> None:
        barrier.wait()
        try:
            redemptions.redeem(u, key)
            won.append(key)
        except ServiceError:
            pass

    threads = [threading.Thread(target=go, args=(k,)) for k in keys for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won) == sorted(keys)
    with session_scope() as s:
        assert s.get(User, u.id).quota == 50
        assert all(s.get(Redemption, i).status == RedemptionStatus.USED for i in range(1, 6))


def test_deleted_code_cannot_be_redeemed(sqlite_storage):
    u = _user("late")
    [key] = redemptions.create_codes(u.id, RedemptionCreate(name="gone", quota=10))
    code_id = redemptions.search_codes(key, 1, 10)[0][0].id
    redemptions.delete_code(code_id)
    with pytest.raises(ServiceError, match="invalid"):
        redemptions.redeem(u, key)


def test_redeem_log_carries_the_facts_as_json(storage):
    """The console words the log in the reader's language from `other`, not from `content` (#15)."""
    u = _user("logged", quota=0)
    [key] = redemptions.create_codes(u.id, RedemptionCreate(name="gift", quota=900))
    redemptions.redeem(u, key)
    with log_session_scope() as s:
        row = s.exec(select(Log).where(Log.user_id == u.id, Log.type == int(LogType.TOPUP))).one()
    other = json.loads(row.other)
    assert other["event"] == "redeem" and other["quota"] == 900 and isinstance(other["code_id"], int)
    assert row.content.startswith("redeemed code #")  # new-api's text stays for API readers
