"""The user pages' own logic, without a browser: chart buckets, log filters and details, SSE parsing,
and the handlers that must reach the services for the session's user only."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from backend.models.enums import LogType, Role
from backend.models.schemas.redemption import RedemptionCreate
from backend.models.schemas.token import TokenCreate
from backend.services import channel_input, redemptions, tokens, users
from backend.services.errors import ServiceError
from newapi_ui.states import dashboard as dash
from newapi_ui.states import logs as logs_state
from newapi_ui.states import playground as pg

TOKYO = ZoneInfo("Asia/Tokyo")


def _ts(text: str, tz=UTC) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=tz).timestamp())


def _row(model: str, at: str, count: int, quota: int, tokens_used: int = 10) -> dict:
    return {"model_name": model, "created_at": _ts(at), "count": count, "quota": quota, "token_used": tokens_used}


def test_buckets_follow_the_browser_zone_and_weeks_start_on_monday() -> None:
    late = _ts("2026-11-29T23:00")  # a Sunday 23:00 in UTC is Monday 08:00 in Tokyo
    assert dash.bucket_of(late, "day", UTC) == date(2026, 11, 29)
    assert dash.bucket_of(late, "day", TOKYO) == date(2026, 11, 30)
    assert dash.bucket_of(late, "week", UTC) == date(2026, 11, 23)
    assert dash.bucket_of(late, "week", TOKYO) == date(2026, 11, 30)
    assert dash.bucket_label(dash.bucket_of(late, "hour", TOKYO)) == "11-30 08:00"


def test_chart_series_keeps_the_biggest_models_and_sums_the_rest() -> None:
    rows = [_row(f"m{i}", "2026-11-28T10:00", 1, 1000 * (i + 1)) for i in range(dash.MAX_SERIES + 2)]
    rows.append(_row("m7", "2026-11-29T10:00", 4, 50))
    names, calls, quota = dash.chart_series(rows, "day", UTC)
    assert names[0] == "m7" and names[-1] == dash.OTHER and len(names) == dash.MAX_SERIES + 1
    assert [c["t"] for c in calls] == ["2026-11-28", "2026-11-29"]
    other = f"s{dash.MAX_SERIES}"
    assert calls[0][other] == 2 and quota[0][other] == 1000 + 2000  # m0 and m1 are the smallest
    assert calls[1] == {"t": "2026-11-29", "s0": 4}
    assert sum(v for c in calls for k, v in c.items() if k != "t") == sum(r["count"] for r in rows)


def test_dashboard_range_is_whole_days_in_the_zone() -> None:
    start = dash._epoch(date(2026, 11, 28), TOKYO)
    assert start == _ts("2026-11-28T00:00", TOKYO)


def _logs_view(**fields) -> SimpleNamespace:
    """Just the fields LogsState's helpers read (a real state needs a browser session)."""
    base = {"log_type": "0", "start_time": "", "end_time": "", "model_name": "", "token_name": "",
            "channel": "", "target_username": "", "time_zone": "Asia/Tokyo", "lang": "en", "tr": lambda m: m}
    return SimpleNamespace(**{**base, **fields})


def test_log_filter_times_and_scope() -> None:
    assert logs_state.parse_local("2026-11-28T09:30", TOKYO) == _ts("2026-11-28T09:30", TOKYO)
    assert logs_state.parse_local("", UTC) == 0 and logs_state.parse_local("garbage", UTC) == 0
    view = _logs_view(log_type="2", start_time="2026-11-28T09:30", channel="7", target_username="bob",
                      model_name=" gpt ")
    common = SimpleNamespace(id=5, role=Role.COMMON)
    f = logs_state.LogsState._filter(view, common)
    # a user's view is pinned to their rows; channel and username filters are admin-only
    assert (f.user_id, f.channel, f.username, f.type, f.model_name) == (5, 0, "", 2, "gpt")
    assert f.start_timestamp == _ts("2026-11-28T09:30", TOKYO)
    admin = logs_state.LogsState._filter(view, SimpleNamespace(id=1, role=Role.ADMIN))
    assert (admin.user_id, admin.channel, admin.username) == (None, 7, "bob")


def test_log_detail_prices_come_from_the_rows_own_ratios() -> None:
    other = {"model_ratio": 1.25, "group_ratio": 2, "completion_ratio": 4, "model_price": -1,
             "cache_tokens": 0, "cache_ratio": 0.5}
    items = dict(logs_state.LogsState._pricing_items(_logs_view(), other))
    assert items["Input price (per 1M tokens)"] == "$5.00"  # 1.25 x $2 x group 2
    assert items["Output price (per 1M tokens)"] == "$20.00"
    assert items["Cached tokens"] == "0" and "Price per call" not in items
    per_call = dict(logs_state.LogsState._pricing_items(_logs_view(), {"model_price": 0.04, "group_ratio": 1}))
    assert per_call["Price per call"] == "$0.04" and "Model ratio" not in per_call


def test_other_json_is_parsed_defensively() -> None:
    assert logs_state.parse_other('{"frt": 5}') == {"frt": 5}
    assert logs_state.parse_other("[1, 2]") == {} and logs_state.parse_other("{broken") == {}
    assert logs_state._decimal(True) is None and logs_state._decimal("1.5") == Decimal("1.5")


def test_sse_deltas_and_relay_errors() -> None:
    chunk = {"choices": [{"delta": {"content": "Hel"}}]}
    assert pg.delta_of("data: " + json.dumps(chunk)) == "Hel"
    assert pg.delta_of('data: {"choices": []}') == ""
    assert pg.delta_of("data: [DONE]") is None
    assert pg.error_message(401, b'{"error": {"message": "invalid key", "type": "x"}}') == "invalid key"
    assert pg.error_message(502, b"<html>") == "HTTP 502"


def test_playground_models_follow_the_key(sqlite_storage) -> None:
    from backend.services import channels

    channels.create_channels(channel_input.parse_create({"mode": "single", "channel": {"name": "c", "type": 1, "key": "k",
                                                            "models": "gpt-4o,gpt-4o-mini", "group": "default"}}))
    user = users.get_user(_make_user())
    open_key = tokens.create_token(user, TokenCreate(name="open", unlimited_quota=True))
    limited = tokens.create_token(user, TokenCreate(name="lim", unlimited_quota=True, model_limits_enabled=True,
                                                    model_limits="gpt-4o-mini,claude-x"))
    assert pg.models_for_key(user, open_key.model_dump()) == ["gpt-4o", "gpt-4o-mini"]
    assert pg.models_for_key(user, limited.model_dump()) == ["claude-x", "gpt-4o-mini"]
    assert [k["name"] for k in pg._key_choices(user)] == ["lim", "open"]
    assert pg._reveal(user.id, open_key.id).startswith("sk-")
    with pytest.raises(ServiceError):  # another user's key is not found
        pg._reveal(user.id + 1, open_key.id)


def _make_user() -> int:
    from backend.db import session_scope

    with session_scope() as s:
        return users.create_user(s, "alice", "alicepass1").id


def test_wallet_history_is_the_users_top_ups(sqlite_storage) -> None:
    from newapi_ui.states.wallet import WalletState

    uid = _make_user()
    [code] = redemptions.create_codes(uid, RedemptionCreate(name="gift", quota=1000))
    redemptions.redeem(users.get_user(uid), code)
    from backend.services import usage_log

    usage_log.flush()
    rows, total = WalletState._fetch(WalletState.__new__(WalletState), users.get_user(uid), 1, 10)
    assert total == 1 and rows[0]["type"] == LogType.TOPUP and "redeemed code" in rows[0]["content"]
