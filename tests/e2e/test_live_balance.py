"""The console sees a charge at once, not after the next batch flush."""

from __future__ import annotations

import httpx

from backend.config import reset_settings
from backend.services import users
from tests.relay.relay_seed import flush, make_channel, make_key, relay_env, user_row


def test_self_shows_live_balance_before_the_flush(sqlite_storage, monkeypatch):
    monkeypatch.setenv("BATCH_UPDATE_INTERVAL", "3600")  # no periodic flush during the test
    reset_settings()
    with relay_env() as env:
        make_channel(env.fake.url, "gpt-4o-mini")
        user, _token, key = make_key(quota=1_000_000)
        pat = users.rotate_access_token(user.id)
        headers = {"Authorization": pat, "New-Api-User": str(user.id)}
        env.openai(key).chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])

        row = user_row(user.id)
        assert (row.quota, row.used_quota, row.request_count) == (1_000_000, 0, 0)  # not flushed yet
        me = httpx.get(env.url + "/api/user/self", headers=headers).json()["data"]
        assert me["request_count"] == 1 and me["used_quota"] > 0
        assert me["quota"] == 1_000_000 - me["used_quota"]

        flush()
        row = user_row(user.id)
        assert (row.quota, row.used_quota, row.request_count) == (me["quota"], me["used_quota"], 1)
        again = httpx.get(env.url + "/api/user/self", headers=headers).json()["data"]
        assert (again["quota"], again["used_quota"], again["request_count"]) == (row.quota, row.used_quota, 1)
