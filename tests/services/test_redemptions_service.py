import threading

import pytest

from backend.auth.passwords import hash_password
from backend.db import session_scope
from backend.models import Redemption, User
from backend.models.enums import RedemptionStatus
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
    [key] = redemptions.create_codes(u.id, "gift", 900, 1)
    assert redemptions.redeem(u, key) == 900
    assert book.user_quota(u.id) == 1000


def test_many_codes_many_threads_each_once(storage):
    u = _user("hoarder")
    keys = redemptions.create_codes(u.id, "bulk", 10, 5)
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
    [key] = redemptions.create_codes(u.id, "gone", 10, 1)
    code_id = redemptions.search_codes(key, 1, 10)[0][0]["id"]
    redemptions.delete_code(code_id)
    with pytest.raises(ServiceError, match="invalid"):
        redemptions.redeem(u, key)
