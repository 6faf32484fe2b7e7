"""new-api's console settings migration (`POST /api/option/migrate_console_setting`): the options
an older new-api kept for its dashboard panels (`ApiInfo`, `Announcements`, `FAQ`, `UptimeKumaUrl`,
`UptimeKumaSlug`) move to the `console_setting.*` keys the console reads now, and the old rows are
deleted. A database brought over from an old new-api carries them; run once, harmless to repeat.

Same moves as new-api: API info and FAQ keep at most 50 entries (FAQ items may say title/content
instead of question/answer; items missing either are dropped), announcements move as they are, and
the Uptime Kuma URL and slug become one group named "old" only when both are set.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlmodel import col, select

from backend.db import session_scope
from backend.models import Option
from backend.services import options

OLD_KEYS = ("ApiInfo", "Announcements", "FAQ", "UptimeKumaUrl", "UptimeKumaSlug")
MAX_ITEMS = 50


def _objects(raw: str) -> list[dict[str, Any]] | None:
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(parsed, list) or not all(isinstance(x, dict) for x in parsed):
        return None
    return parsed


def _faq(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for item in items:
        q = item.get("question") if isinstance(item.get("question"), str) and item.get("question") else item.get("title")
        a = item.get("answer") if isinstance(item.get("answer"), str) and item.get("answer") else item.get("content")
        if isinstance(q, str) and q and isinstance(a, str) and a:
            out.append({"question": q, "answer": a})
    return out[:MAX_ITEMS]


def plan(old: dict[str, str]) -> dict[str, str]:
    """The new option values for the old ones (pure, for the tests)."""
    new: dict[str, str] = {}
    if old.get("ApiInfo") and (items := _objects(old["ApiInfo"])) is not None:
        new["console_setting.api_info"] = orjson.dumps(items[:MAX_ITEMS]).decode()
    if old.get("Announcements"):
        new["console_setting.announcements"] = old["Announcements"]
    if old.get("FAQ") and (items := _objects(old["FAQ"])) is not None:
        new["console_setting.faq"] = orjson.dumps(_faq(items)).decode()
    url, slug = old.get("UptimeKumaUrl", ""), old.get("UptimeKumaSlug", "")
    if url and slug:
        groups = [{"id": 1, "categoryName": "old", "url": url, "slug": slug, "description": ""}]
        new["console_setting.uptime_kuma_groups"] = orjson.dumps(groups).decode()
    return new


def migrate() -> dict[str, str]:
    """Move the old options; answers what was written."""
    with session_scope() as s:
        rows = s.exec(select(Option).where(col(Option.key).in_(OLD_KEYS))).all()
        old = {r.key: r.value or "" for r in rows}
    new = plan(old)
    options.replace(new, list(old))
    return new
