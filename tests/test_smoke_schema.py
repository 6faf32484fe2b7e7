from sqlalchemy import inspect

from backend.db import get_engine


def test_migrate_creates_every_new_api_table(storage):
    tables = set(inspect(get_engine()).get_table_names())
    assert {"users", "tokens", "channels", "abilities", "options", "logs", "redemptions", "top_ups",
            "quota_data", "setups"} <= tables
    cols = {c["name"] for c in inspect(get_engine()).get_columns("users")}
    assert {"aff_history", "access_token", "group", "deleted_at"} <= cols
