"""POST /api/option/rest_model_ratio and POST /api/option/migrate_console_setting."""

from __future__ import annotations

import json

from mgmt_helpers import app_client, auth, make_user
from sqlmodel import select

from backend.db import session_scope
from backend.models import Option
from backend.models.enums import Role
from backend.services import console_migrate, options, ratios, uptime_kuma


def test_reset_model_ratio_restores_the_built_in_table(storage):
    options.update("ModelRatio", '{"gpt-4o": 99, "mine": 3}')
    assert ratios.model_ratio("mine") == 3
    r = app_client().post("/api/option/rest_model_ratio", headers=auth(make_user("root", Role.ROOT)))
    assert r.status_code == 200 and r.json() == {"success": True, "message": "重置模型倍率成功"}
    assert json.loads(options.get("ModelRatio")) == json.loads(ratios.default_json("ModelRatio"))
    assert ratios.model_ratio("mine") is None
    assert ratios.model_ratio("gpt-4o") == json.loads(ratios.default_json("ModelRatio"))["gpt-4o"]
    with session_scope() as s:
        assert s.get(Option, "ModelRatio").value == ratios.default_json("ModelRatio")


def _put_raw(**values: str) -> None:
    with session_scope() as s:
        for key, value in values.items():
            s.add(Option(key=key, value=value))
    options.load()


def test_migrate_console_setting_moves_the_old_panels(storage):
    api_info = [{"url": f"https://a{i}.example", "route": "r", "description": "d", "color": "blue"} for i in range(60)]
    faq = [{"title": "Q1", "content": "A1"}, {"question": "Q2", "answer": "A2"}, {"question": "no answer"}]
    _put_raw(ApiInfo=json.dumps(api_info), Announcements='[{"content":"hi"}]', FAQ=json.dumps(faq),
             UptimeKumaUrl="https://kuma.example", UptimeKumaSlug="main")
    r = app_client().post("/api/option/migrate_console_setting", headers=auth(make_user("root", Role.ROOT)))
    assert r.status_code == 200 and r.json()["success"] is True
    assert json.loads(options.get("console_setting.api_info")) == api_info[:50]
    assert options.get("console_setting.announcements") == '[{"content":"hi"}]'
    assert json.loads(options.get("console_setting.faq")) == [{"question": "Q1", "answer": "A1"},
                                                              {"question": "Q2", "answer": "A2"}]
    groups = uptime_kuma.parse_groups(options.get("console_setting.uptime_kuma_groups"))
    assert len(groups) == 1
    assert json.loads(options.get("console_setting.uptime_kuma_groups"))[0]["categoryName"] == "old"
    with session_scope() as s:
        keys = set(s.exec(select(Option.key)).all())
    assert keys.isdisjoint(console_migrate.OLD_KEYS)
    assert "ApiInfo" not in options.all_values()
    # a second run finds nothing to move and changes nothing
    assert app_client().post("/api/option/migrate_console_setting",
                             headers=auth(make_user("root2", Role.ROOT))).json()["success"] is True
    assert options.get("console_setting.announcements") == '[{"content":"hi"}]'


def test_migration_plan_edge_cases():
    assert console_migrate.plan({"ApiInfo": "not json", "UptimeKumaUrl": "https://k", "FAQ": "{}"}) == {}
    assert console_migrate.plan({"UptimeKumaSlug": "s"}) == {}
