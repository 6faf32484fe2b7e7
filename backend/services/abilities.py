"""The `abilities` routing index: one row per (group, model, channel).

Every function takes the caller's session and never commits, so the index changes in the same
transaction as the channel row it mirrors: routing can never see a channel without its abilities
or the reverse.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, update
from sqlmodel import Session, col, select

from backend.cache.channels import split_csv
from backend.models import Ability, Channel
from backend.models.enums import ChannelStatus


def rows_for(channel: Channel) -> list[dict]:
    """models x groups. Pairs equal but for case collapse to the first spelling: MySQL's default
    collation compares the primary key case-insensitively, and every database must hold the same rows."""
    enabled = channel.status == ChannelStatus.ENABLED
    groups = split_csv(channel.group) or ("default",)
    seen: set[tuple[str, str]] = set()
    rows = []
    for group in groups:
        for model in split_csv(channel.models):
            folded = (group.lower(), model.lower())
            if folded in seen:
                continue
            seen.add(folded)
            rows.append(_row(channel, group, model, enabled))
    return rows


def _row(channel: Channel, group: str, model: str, enabled: bool) -> dict:
    return {
        "group": group,
        "model": model,
        "channel_id": channel.id,
        "enabled": enabled,
        "priority": int(channel.priority or 0),
        "weight": max(int(channel.weight or 0), 0),
        "tag": channel.tag or None,
    }


def rebuild(session: Session, channel: Channel) -> int:
    """Replace a channel's abilities with models x groups. Returns the number of rows written."""
    session.flush()  # the channel must have its id and current values in this transaction
    session.execute(delete(Ability).where(col(Ability.channel_id) == channel.id))
    rows = rows_for(channel)
    if rows:
        session.execute(insert(Ability), rows)
    return len(rows)


def set_enabled(session: Session, channel_ids: list[int], enabled: bool) -> None:
    """Toggle routing for channels whose status changed (cheaper than a rebuild)."""
    if channel_ids:
        session.execute(update(Ability).where(col(Ability.channel_id).in_(channel_ids)).values(enabled=enabled))


def delete_for(session: Session, channel_ids: list[int]) -> None:
    if channel_ids:
        session.execute(delete(Ability).where(col(Ability.channel_id).in_(channel_ids)))


def fix_all(session: Session) -> dict[str, int]:
    """Rebuild the whole index from the channels table (POST /api/channel/fix).

    A channel whose rows cannot be written (e.g. a model name too long for the column) is counted
    in `fails` and left without abilities, instead of aborting the whole repair.
    """
    session.execute(delete(Ability))
    ok = fails = 0
    for channel in session.exec(select(Channel).order_by(col(Channel.id))).all():
        rows = rows_for(channel)
        if any(len(r["model"]) > 255 or len(r["group"]) > 64 for r in rows):
            fails += 1
            continue
        if rows:
            session.execute(insert(Ability), rows)
        ok += 1
    return {"success": ok, "fails": fails}
