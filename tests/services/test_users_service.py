import threading

import pytest
from sqlmodel import select

from backend.auth.passwords import hash_password
from backend.db import session_scope
from backend.models import User
from backend.models.enums import Role
from backend.models.schemas.user import UserUpdate
from backend.services import ledger, options, user_admin, users
from backend.services.errors import ServiceError


def _user(name: str, role: int = Role.COMMON, **kw) -> User:
    with session_scope() as s:
        u = User(username=name, password=hash_password("pass-word-1"), role=role, **kw)
        s.add(u)
        s.flush()
        return u


def test_admin_quota_edit_keeps_unflushed_spending(storage):
    admin, u = _user("admin", Role.ADMIN), _user("spender", quota=1000)
    book = ledger.get_ledger()
    assert book.user_quota(u.id) == 1000
    book.apply(u.id, None, quota_delta=100, used=100)  # a relay call spent 100, not yet in the DB
    user_admin.update(admin, UserUpdate(id=u.id, quota=5000))  # the admin saw 1000 and typed 5000
    assert book.user_quota(u.id) == 4900
    assert book.flush()
    with session_scope() as s:
        assert s.get(User, u.id).quota == 4900


def test_aff_transfer(storage):
    u = _user("inviter", aff_quota=1_200_000)
    with pytest.raises(ServiceError, match="at least"):
        users.transfer_aff_quota(u.id, 100)
    users.transfer_aff_quota(u.id, 500_000)
    with session_scope() as s:
        row = s.get(User, u.id)
        assert (row.aff_quota, row.quota) == (700_000, 500_000)
    assert ledger.get_ledger().user_quota(u.id) == 500_000
    with pytest.raises(ServiceError, match="not enough"):
        users.transfer_aff_quota(u.id, 800_000)


def test_concurrent_aff_transfers_never_overdraw(storage):
    u = _user("racer", aff_quota=1_000_000)
    barrier = threading.Barrier(6)
    done: list[bool] = []

    def go() -> None:
        barrier.wait()
        try:
            users.transfer_aff_quota(u.id, 500_000)
            done.append(True)
        except ServiceError:
            done.append(False)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert done.count(True) == 2
    with session_scope() as s:
        row = s.get(User, u.id)
        assert (row.aff_quota, row.quota) == (0, 1_000_000)


@pytest.mark.parametrize("bad", [
    {"notify_type": "sms"},
    {"notify_type": "webhook", "webhook_url": "ftp://x"},
    {"quota_warning_threshold": -1},
    {"quota_warning_threshold": "lots"},
    {"accept_unset_model_ratio_model": "yes"},
    {"notification_email": "not-an-email"},
])
def test_setting_validation(sqlite_storage, bad):
    u = _user("picky")
    with pytest.raises(ServiceError):
        users.update_setting(u.id, bad)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://169.254.169.254/", "http://[::1]/",
                                 "https://hooks.example:6379/"])
def test_webhook_url_follows_the_fetch_rules(sqlite_storage, url):
    u = _user("hooker")
    with pytest.raises(ServiceError, match="URL not allowed"):
        users.update_setting(u.id, {"notify_type": "webhook", "webhook_url": url})
    options.update("fetch_setting.allow_private_ip", "true")
    options.update("fetch_setting.allowed_ports", "[]")
    users.update_setting(u.id, {"notify_type": "webhook", "webhook_url": url})  # the operator allowed it


def test_setting_keeps_secret_when_omitted_and_ignores_unknown_keys(sqlite_storage):
    u = _user("hooked")
    users.update_setting(u.id, {"notify_type": "webhook", "webhook_url": "https://h.example", "webhook_secret": "s1"})
    shown = users.update_setting(u.id, {"notify_type": "webhook", "webhook_url": "https://h2.example", "role": 100})
    assert shown == {"notify_type": "webhook", "webhook_url": "https://h2.example"}
    stored = users.load_setting(users.get_user(u.id))
    assert stored["webhook_secret"] == "s1" and "role" not in stored


def test_register_username_race_makes_one_user(sqlite_storage):
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def go() -> None:
        barrier.wait()
        try:
            users.register("samename", "pass-word-1")
            results.append(True)
        except ServiceError:
            results.append(False)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    with session_scope() as s:
        assert len(s.exec(select(User).where(User.username == "samename")).all()) == 1
