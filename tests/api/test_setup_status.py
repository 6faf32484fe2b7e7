import threading

from mgmt_helpers import app_client, data, make_user, refused
from sqlmodel import select

from backend.auth.passwords import verify_password
from backend.db import session_scope
from backend.models import Setup, User
from backend.models.enums import Role
from backend.services import options

BODY = {"username": "admin", "password": "s3cret-pass", "confirmPassword": "s3cret-pass",
        "SelfUseModeEnabled": True, "DemoSiteEnabled": False}


def test_setup_creates_root_once(storage):
    c = app_client()
    assert data(c.get("/api/setup")) == {"status": False, "root_init": False,
                                          "database_type": {"sqlite": "sqlite", "postgres": "postgres",
                                                            "mysql": "mysql"}[storage.name]}
    assert data(c.get("/api/status"))["setup"] is False
    data(c.post("/api/setup", json=BODY))
    with session_scope() as s:
        root = s.exec(select(User).where(User.username == "admin")).one()
    assert root.role == Role.ROOT and root.quota == 100_000_000
    assert verify_password("s3cret-pass", root.password)
    assert options.get_bool("SelfUseModeEnabled") is True
    assert data(c.get("/api/status"))["setup"] is True
    assert data(c.get("/api/setup"))["status"] is True

    again = c.post("/api/setup", json={**BODY, "username": "intruder"})
    refused(again, 400)
    with session_scope() as s:
        assert s.exec(select(User).where(User.username == "intruder")).first() is None


def test_setup_rejects_bad_passwords(storage):
    c = app_client()
    assert "match" in refused(c.post("/api/setup", json={**BODY, "confirmPassword": "different1"}), 400)
    assert "8 to 20" in refused(c.post("/api/setup", json={**BODY, "password": "short", "confirmPassword": "short"}), 400)
    assert data(c.get("/api/setup"))["status"] is False


def test_upgraded_instance_with_root_is_already_set_up(storage):
    make_user("oldroot", Role.ROOT)
    from backend.migrate import mark_upgraded_instance_initialised

    mark_upgraded_instance_initialised()
    refused(app_client().post("/api/setup", json=BODY), 400)


def test_two_concurrent_setups_make_exactly_one_root(storage):
    c = app_client()
    barrier = threading.Barrier(4)
    codes: list[int] = []

    def run(i: int) -> None:
        barrier.wait()
        r = c.post("/api/setup", json={**BODY, "username": f"root{i}"})
        codes.append(r.status_code)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [200, 400, 400, 400]
    with session_scope() as s:
        assert len(s.exec(select(User).where(User.role == Role.ROOT)).all()) == 1
        assert len(s.exec(select(Setup)).all()) == 1


def test_status_and_public_pages_follow_options(storage):
    options.update("SystemName", "Acme")
    options.update("Notice", "maintenance at 5")
    options.update("About", "about us")
    options.update("HomePageContent", "# hi")
    c = app_client()
    st = data(c.get("/api/status"))
    assert st["system_name"] == "Acme"
    assert st["quota_per_unit"] == 500000
    assert st["display_in_currency"] is True
    assert data(c.get("/api/notice")) == "maintenance at 5"
    assert data(c.get("/api/about")) == "about us"
    assert data(c.get("/api/home_page_content")) == "# hi"
