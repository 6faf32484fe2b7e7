"""Channel conveniences of new-api's console: copy a channel (`POST /api/channel/copy/:id`) and the
models of a tag (`GET /api/channel/tag/models`).

A copy is a new channel with the same settings and key, named with a suffix, its test results
cleared and (by default) its balance and used quota reset; its routing rows are built like any new
channel's so it serves at once.
"""

from __future__ import annotations

import time

from sqlalchemy import inspect
from sqlmodel import select

from backend.cache import channels as channel_cache
from backend.db import session_scope
from backend.models import Channel
from backend.services import abilities
from backend.services.errors import NotFound, ServiceError, msg

DEFAULT_SUFFIX = "_复制"
MAX_NAME = 255


def copy_channel(channel_id: int, suffix: str = DEFAULT_SUFFIX, reset_balance: bool = True) -> int:
    with session_scope() as s:
        origin = s.get(Channel, channel_id)
        if origin is None:
            raise NotFound(msg("渠道不存在"))
        values = {a.key: getattr(origin, a.key) for a in inspect(Channel).column_attrs if a.key != "id"}
        values["name"] = (origin.name or "") + suffix
        if len(values["name"]) > MAX_NAME:
            raise ServiceError(msg("the copy's name would be longer than {max_name} characters", max_name=MAX_NAME))
        values.update(created_time=int(time.time()), test_time=0, response_time=0)
        if reset_balance:
            values.update(balance=0, used_quota=0)
        clone = Channel(**values)
        s.add(clone)
        s.flush()
        abilities.rebuild(s, clone)
        new_id = int(clone.id or 0)
    channel_cache.reload()
    return new_id


def tag_models(tag: str) -> str:
    """The longest models list among the channels of a tag (what new-api's tag editor pre-fills)."""
    tag = tag.strip()
    if not tag:
        raise ServiceError(msg("tag不能为空"))
    with session_scope() as s:
        lists = s.exec(select(Channel.models).where(Channel.tag == tag)).all()
    longest, size = "", 0
    for models in lists:
        if models and len(models.split(",")) > size:
            longest, size = models, len(models.split(","))
    return longest
