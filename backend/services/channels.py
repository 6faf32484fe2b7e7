"""Channel administration: create, edit, list, search, delete, tag bulk edits, key reveal.

Every write changes the channel rows and their abilities in one transaction, then reloads the
routing snapshot (which also tells the other nodes). Replies never carry `key`, except
`reveal_key` (root only, at the route).
"""

from __future__ import annotations

import time
from typing import Any

import orjson
from sqlalchemy import func, or_, update
from sqlmodel import col, select

from backend.cache import channels as channel_cache
from backend.db import session_scope
from backend.models import Ability, Channel
from backend.models.enums import ChannelStatus
from backend.models.schemas.channel import (
    ChannelCreate,
    ChannelFields,
    ChannelListPage,
    ChannelPublic,
    ChannelSearchPage,
    ChannelTagEdit,
    ChannelUpdate,
)
from backend.services import abilities, keywords, ratios
from backend.services.channel_input import (
    HOST_FROM_OTHER,
    NO_MODELS,
    VERTEX_AI,
    check_relayable,
    check_vertex,
    normalise,
    validate,
)
from backend.services.errors import Forbidden, NotFound, ServiceError, msg
from backend.services.paging import page_of

# ---- views --------------------------------------------------------------------------------


def view(c: Channel) -> ChannelPublic:
    """A channel as the API shows it: every column except the key."""
    return ChannelPublic(
        **c.model_dump(exclude={"key", "other_settings"}), settings=c.other_settings,
        key_count=len(channel_cache.split_keys(c.key)),
    )


def _order(id_sort: bool) -> list[Any]:
    return [col(Channel.id).desc()] if id_sort else [col(Channel.priority).desc(), col(Channel.id).desc()]


def _status_filter(status: str | None) -> list[Any]:
    s = (status or "").strip().lower()
    if s in ("enabled", "1"):
        return [col(Channel.status) == ChannelStatus.ENABLED]
    if s in ("disabled", "0"):
        return [col(Channel.status) != ChannelStatus.ENABLED]
    if s in ("2", "3"):
        return [col(Channel.status) == int(s)]
    return []


def _type_counts(conds: list[Any]) -> dict[str, int]:
    with session_scope() as s:
        rows = s.exec(select(col(Channel.type), func.count()).where(*conds).group_by(col(Channel.type))).all()
    counts = {str(t): int(n) for t, n in rows}
    counts["all"] = sum(counts.values())
    return counts


def _paginate(rows: list[Channel], p: int, page_size: int, tag_mode: bool) -> tuple[list[Channel], int]:
    """Slice already-ordered rows; in tag mode a page holds whole tags (an untagged channel is its own entry)."""
    if not tag_mode:
        return rows[(p - 1) * page_size : p * page_size], len(rows)
    buckets: dict[str, list[Channel]] = {}
    for c in rows:
        buckets.setdefault(f"tag:{c.tag}" if c.tag else f"id:{c.id}", []).append(c)
    keys = list(buckets)[(p - 1) * page_size : p * page_size]
    return [c for k in keys for c in buckets[k]], len(buckets)


def list_channels(
    p: int = 1, page_size: int = 10, *, id_sort: bool = False, tag_mode: bool = False,
    status: str | None = None, type_: int | None = None,
) -> ChannelListPage:
    base = _status_filter(status)
    conds = base + ([col(Channel.type) == type_] if type_ is not None else [])
    with session_scope() as s:
        if tag_mode:
            rows = list(s.exec(select(Channel).where(*conds).order_by(*_order(id_sort))).all())
            items, total = _paginate(rows, p, page_size, True)
        else:
            items, total = page_of(s, Channel, conds, p, page_size, _order(id_sort))
    return ChannelListPage(
        items=[view(c) for c in items], total=total, page=p, page_size=page_size, type_counts=_type_counts(base),
    )


def search_channels(
    keyword: str = "", group: str = "", model: str = "", p: int = 1, page_size: int = 10, *,
    id_sort: bool = False, tag_mode: bool = False, status: str | None = None, type_: int | None = None,
) -> ChannelSearchPage:
    """Keyword matches the id, name, tag or base URL (never the key); group is an exact member of
    the group list; model is a substring of the model list."""
    conds = _status_filter(status) + ([col(Channel.type) == type_] if type_ is not None else [])
    keyword, group, model = keyword.strip(), group.strip(), model.strip()
    if keyword:
        matches = [
            col(Channel.name).contains(keyword, autoescape=True),
            col(Channel.tag).contains(keyword, autoescape=True),
            col(Channel.base_url).contains(keyword, autoescape=True),
        ]
        if (row_id := keywords.as_id(keyword)) is not None:
            matches.append(col(Channel.id) == row_id)
        conds.append(or_(*matches))
    if model:
        conds.append(col(Channel.models).contains(model, autoescape=True))
    if group:
        conds.append(_in_group_list(group))
    with session_scope() as s:
        query = select(Channel).where(*conds).order_by(*_order(id_sort))
        if tag_mode:  # a page holds whole tags, so the grouping needs every match
            items, total = _paginate(list(s.exec(query).all()), p, page_size, True)
        else:
            items, total = page_of(s, Channel, conds, p, page_size, _order(id_sort))
    return ChannelSearchPage(items=[view(c) for c in items], total=total, page=p, page_size=page_size)


def _in_group_list(group: str) -> Any:
    """`group` is an exact member of the comma-separated column (spaces ignored), in SQL, so
    searches page in the database instead of loading every match."""
    column = func.replace(Channel.group, " ", "")
    like = group.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(
        column == group,
        column.like(f"{like},%", escape="\\"),
        column.like(f"%,{like}", escape="\\"),
        column.like(f"%,{like},%", escape="\\"),
    )


def get_channel(channel_id: int) -> ChannelPublic:
    with session_scope() as s:
        c = s.get(Channel, channel_id)
        if c is None:
            raise NotFound(msg("channel not found"))
        return view(c)


def reveal_key(channel_id: int) -> str:
    with session_scope() as s:
        c = s.get(Channel, channel_id)
        if c is None:
            raise NotFound(msg("channel not found"))
        return c.key


# ---- writes -------------------------------------------------------------------------------


def _vertex_api_keys(settings: str | None) -> bool:
    """new-api's `settings.vertex_key_type == "api_key"`: Vertex AI express-mode keys, one a line."""
    try:
        parsed = orjson.loads(settings) if settings else None
    except orjson.JSONDecodeError:
        return False
    return isinstance(parsed, dict) and parsed.get("vertex_key_type") == "api_key"


def _split_new_keys(mode: str, type_: int | None, key: str, settings: str | None = None) -> list[str]:
    key = key.strip()
    if mode != "batch":
        return [key]
    if type_ == VERTEX_AI and not _vertex_api_keys(settings):
        try:
            items = orjson.loads(key)
        except orjson.JSONDecodeError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ServiceError(msg("Vertex AI batch mode needs a JSON array of service-account objects"))
        return [orjson.dumps(i).decode() for i in items]
    return [k.strip() for k in key.split("\n") if k.strip()]


def create_channels(req: ChannelCreate) -> list[int]:
    """POST /api/channel/ (`channel_input.parse_create` reads the body): the new channels' ids."""
    mode, fields = req.mode, req.channel
    set_fields = fields.model_fields_set - {"id"}
    validate(fields, set_fields)
    if not channel_cache.split_csv(fields.models or ""):  # a new channel must name its models (an update may omit them)
        raise ServiceError(NO_MODELS)
    check_vertex(fields.type, fields.other)
    check_relayable(fields.type, fields.base_url)
    if not (fields.key or "").strip():
        raise ServiceError(msg("key must not be empty"))
    keys = _split_new_keys(mode, fields.type, fields.key or "", fields.settings)
    if not keys:
        raise ServiceError(msg("key must not be empty"))
    values = normalise(fields.model_dump(include=set_fields - {"key"}, exclude_none=True))
    if mode == "multi_to_single":
        values["channel_info"] = orjson.dumps({
            "is_multi_key": True,
            "multi_key_mode": req.multi_key_mode if req.multi_key_mode in ("random", "polling") else "random",
            "multi_key_size": len(channel_cache.split_keys(keys[0])),
        }).decode()
    now = int(time.time())
    ids: list[int] = []
    with session_scope() as s:
        for key in keys:
            row = Channel(**values, key=key, created_time=now)
            s.add(row)
            abilities.rebuild(s, row)
            ids.append(int(row.id or 0))
    channel_cache.reload()
    return ids


def _text(value: str | None) -> str:
    return (value or "").strip().rstrip("/")


def _proxy(setting: str | None) -> str:
    try:
        value = orjson.loads(setting) if setting and setting.strip() else {}
    except orjson.JSONDecodeError:
        return ""
    proxy = value.get("proxy") if isinstance(value, dict) else None
    return proxy.strip() if isinstance(proxy, str) else ""


def destination_changes(c: Channel, values: dict[str, Any]) -> list[str]:
    """Which of `values` would send the stored key to another place: the base URL, the type (its
    default host, its URL shape), the proxy in `setting`, and `other` where it names the host
    (Vertex AI's region). Compared with the stored row, so a form that re-sends unchanged values
    (the console always does) is not a change."""
    changed = []
    if "base_url" in values and _text(values["base_url"]) != _text(c.base_url):
        changed.append("base_url")
    if "type" in values and values["type"] != c.type:
        changed.append("type")
    if "setting" in values and _proxy(values["setting"]) != _proxy(c.setting):
        changed.append("setting.proxy")
    if "other" in values and values.get("type", c.type) in HOST_FROM_OTHER and _text(values["other"]) != _text(c.other):
        changed.append("other")
    return changed


def update_channel(fields: ChannelUpdate, *, actor_is_root: bool = False) -> ChannelPublic:
    """PUT /api/channel/: only the fields sent change; an empty key keeps the stored key.
    `key_mode: "append"` adds the sent keys to the existing ones.

    Only root may read channel keys. An admin who could point a channel at their own server and
    press "test" would read it anyway, so a change of destination (`destination_changes`) by anyone
    but root needs the key itself in the same request, replacing the stored one: then no stored
    key goes anywhere new. Appending keys does not count (the old keys would follow)."""
    if not fields.id:
        raise ServiceError(msg("id is required"))
    set_fields = fields.model_fields_set - {"id", "key_mode"}
    validate(fields, set_fields)
    values = normalise(fields.model_dump(include=set_fields - {"key"}))
    for name in ("type", "status", "weight", "priority", "auto_ban", "name", "models"):
        if name in values and values[name] is None:  # NOT NULL columns: a null means "leave as is"
            del values[name]
    append = fields.key_mode == "append"
    with session_scope() as s:
        c = s.get(Channel, fields.id)
        if c is None:
            raise NotFound(msg("channel not found"))
        new_key = (fields.key or "").strip()
        moved = destination_changes(c, values)
        if moved and not actor_is_root and (not new_key or append):
            raise Forbidden(
                msg("changing {moved} would send this channel's stored key elsewhere: only the root user may do that, or enter the key again in the same request", moved=', '.join(moved))
            )
        for name, value in values.items():
            setattr(c, name, value)
        if new_key:
            c.key = f"{c.key.rstrip()}\n{new_key}" if append and c.key.strip() else new_key
            info = channel_cache.parse_json_object(c.channel_info)
            if info.get("is_multi_key"):
                info["multi_key_size"] = len(channel_cache.split_keys(c.key))
                if not append:  # new keys, new positions: per-key statuses no longer apply
                    info["multi_key_status_list"], info["multi_key_disabled_reason"] = {}, {}
                c.channel_info = orjson.dumps(info).decode()
        check_vertex(c.type, c.other)
        if {"type", "base_url"} & values.keys():  # a stored channel of another kind may still be edited
            check_relayable(c.type, c.base_url)
        s.add(c)
        abilities.rebuild(s, c)
        result = view(c)
    channel_cache.reload()
    return result


def delete_channels(ids: list[int]) -> int:
    if not ids:
        raise ServiceError(msg("ids must not be empty"))
    with session_scope() as s:
        found = [int(i) for i in s.exec(select(Channel.id).where(col(Channel.id).in_(ids))).all()]
        abilities.delete_for(s, found)
        for c in s.exec(select(Channel).where(col(Channel.id).in_(found))).all():
            s.delete(c)
    channel_cache.reload()
    return len(found)


def delete_channel(channel_id: int) -> None:
    if delete_channels([channel_id]) == 0:
        raise NotFound(msg("channel not found"))


def delete_disabled() -> int:
    with session_scope() as s:
        ids = [int(i) for i in s.exec(select(Channel.id).where(col(Channel.status) != ChannelStatus.ENABLED)).all()]
    return delete_channels(ids) if ids else 0


def set_status(channel_ids: list[int], status: int) -> list[int]:
    """Change status and toggle abilities in one transaction; returns the ids that exist."""
    with session_scope() as s:
        changed = [int(i) for i in s.exec(select(Channel.id).where(col(Channel.id).in_(channel_ids))).all()]
        if changed:
            s.execute(update(Channel).where(col(Channel.id).in_(changed)).values(status=status))
            abilities.set_enabled(s, changed, status == ChannelStatus.ENABLED)
    if changed:
        channel_cache.reload()
    return changed


def _tag_ids(tag: str) -> list[int]:
    if not tag.strip():
        raise ServiceError(msg("tag must not be empty"))
    with session_scope() as s:
        return [int(i) for i in s.exec(select(Channel.id).where(col(Channel.tag) == tag)).all()]


def set_tag_status(tag: str, enabled: bool) -> int:
    ids = _tag_ids(tag)
    status = ChannelStatus.ENABLED if enabled else ChannelStatus.MANUALLY_DISABLED
    return len(set_status(ids, status)) if ids else 0


def edit_tag(req: ChannelTagEdit) -> int:
    """PUT /api/channel/tag: apply the sent fields to every channel carrying the tag."""
    ids = _tag_ids(req.tag)
    as_fields = ChannelFields(
        priority=req.priority, weight=req.weight, model_mapping=req.model_mapping, models=req.models,
        group=req.groups, tag=req.new_tag,
    )
    sent = {n for n in ("priority", "weight", "model_mapping", "models") if getattr(req, n) is not None}
    sent |= {"group"} if req.groups is not None else set()
    sent |= {"tag"} if req.new_tag is not None else set()
    validate(as_fields, sent)
    values = normalise(as_fields.model_dump(include=sent))
    with session_scope() as s:
        for c in s.exec(select(Channel).where(col(Channel.id).in_(ids))).all():
            for name, value in values.items():
                setattr(c, name, value)
            s.add(c)
            abilities.rebuild(s, c)
    channel_cache.reload()
    return len(ids)


def batch_set_tag(ids: list[int], tag: str | None) -> int:
    if not ids:
        raise ServiceError(msg("ids must not be empty"))
    tag = (tag or "").strip() or None
    if tag and len(tag) > 255:
        raise ServiceError(msg("tag is too long (at most 255 characters)"))
    with session_scope() as s:
        s.execute(update(Channel).where(col(Channel.id).in_(ids)).values(tag=tag))
        s.execute(update(Ability).where(col(Ability.channel_id).in_(ids)).values(tag=tag))
    channel_cache.reload()
    return len(ids)


def fix_abilities() -> dict[str, int]:
    with session_scope() as s:
        result = abilities.fix_all(s)
    channel_cache.reload()
    return result


def enabled_models() -> list[str]:
    """Models that at least one enabled channel serves, in any group."""
    with session_scope() as s:
        rows = s.exec(select(Ability.model).where(col(Ability.enabled) == True).distinct()).all()  # noqa: E712
    return sorted(set(rows))


_OWNERS = (
    (("gpt-", "o1", "o3", "o4", "chatgpt", "text-", "dall-e", "whisper", "tts-", "davinci", "babbage", "omni-"), "openai"),
    (("claude",), "anthropic"),
    (("gemini", "gemma", "text-embedding-004", "imagen"), "google"),
    (("deepseek",), "deepseek"),
    (("grok",), "xai"),
    (("mistral", "mixtral", "codestral", "open-mistral"), "mistralai"),
    (("qwen",), "alibaba"),
    (("glm", "chatglm"), "zhipu"),
    (("moonshot", "kimi"), "moonshot"),
    (("command",), "cohere"),
    (("ernie",), "baidu"),
    (("hunyuan",), "tencent"),
    (("doubao",), "volcengine"),
)


def _owner(model: str) -> str:
    lowered = model.lower()
    return next((owner for prefixes, owner in _OWNERS if lowered.startswith(prefixes)), "custom")


def known_models() -> list[dict[str, Any]]:
    """Every model the gateway has a default price for, OpenAI list style (GET /api/channel/models)."""
    names = sorted(set(ratios.DEFAULT_MODEL_RATIO) | set(ratios.DEFAULT_MODEL_PRICE))
    return [{"id": m, "object": "model", "created": 1626777600, "owned_by": _owner(m)} for m in names]
