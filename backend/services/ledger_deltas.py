"""Counter deltas by row id, and the one transaction's worth of SQL that adds them to the rows.

Shared by the ledger's periodic flush and the journal's replay after a crash, so both write with
exactly the same statements (`col = col + :delta`, rows in id order).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection


def add(d: dict[int, int], key: int, value: int) -> None:
    if value:
        d[key] = d.get(key, 0) + value


@dataclass
class Deltas:
    """Counter changes not yet in the DB, by row id."""

    user_quota: dict[int, int] = field(default_factory=dict)
    user_used: dict[int, int] = field(default_factory=dict)
    user_requests: dict[int, int] = field(default_factory=dict)
    token_remain: dict[int, int] = field(default_factory=dict)
    token_used: dict[int, int] = field(default_factory=dict)
    channel_used: dict[int, int] = field(default_factory=dict)
    since: float = 0.0  # time.time() of the oldest change here (0: none yet): the flush lag metric

    def mark(self) -> None:
        if not self.since:
            self.since = time.time()

    def parts(self) -> tuple[dict[int, int], ...]:
        return (self.user_quota, self.user_used, self.user_requests, self.token_remain, self.token_used,
                self.channel_used)

    def empty(self) -> bool:
        return not any(v for part in self.parts() for v in part.values())

    def merge(self, other: Deltas) -> None:
        for mine, theirs in zip(self.parts(), other.parts(), strict=True):
            for k, v in theirs.items():
                add(mine, k, v)
        if other.since and (not self.since or other.since < self.since):
            self.since = other.since

    def reserve(self, user_id: int, token_id: int | None, taken: int) -> None:
        """A reservation: `taken` leaves the user's and token's balance, counts as token usage."""
        self.mark()
        add(self.user_quota, user_id, -taken)
        if token_id is not None:
            add(self.token_remain, token_id, -taken)
            add(self.token_used, token_id, taken)

    def apply(self, user_id: int, token_id: int | None, quota_delta: int, used: int, requests: int,
              channel_id: int) -> None:
        """A settle or refund (see `Ledger.apply`)."""
        self.mark()
        add(self.user_quota, user_id, -quota_delta)
        add(self.user_used, user_id, used)
        add(self.user_requests, user_id, requests)
        if token_id is not None:
            add(self.token_remain, token_id, -quota_delta)
            add(self.token_used, token_id, quota_delta)
        if channel_id:
            add(self.channel_used, channel_id, used)


def write_deltas(conn: Connection, batch: Deltas) -> None:
    """Add `batch` to users, tokens and channels inside the caller's transaction."""
    write_users(conn, batch)
    write_tokens(conn, batch)
    write_channels(conn, batch)


def write_users(conn: Connection, batch: Deltas) -> None:
    ids = sorted(set(batch.user_quota) | set(batch.user_used) | set(batch.user_requests))
    if ids:  # sorted ids: instances flushing at once lock rows in the same order (no deadlock)
        conn.execute(
            text("UPDATE users SET quota = quota + :q, used_quota = used_quota + :u, "
                 "request_count = request_count + :r WHERE id = :id"),
            [{"id": i, "q": batch.user_quota.get(i, 0), "u": batch.user_used.get(i, 0),
              "r": batch.user_requests.get(i, 0)} for i in ids],
        )


def write_tokens(conn: Connection, batch: Deltas) -> None:
    ids = sorted(set(batch.token_remain) | set(batch.token_used))
    if ids:
        conn.execute(
            text("UPDATE tokens SET remain_quota = remain_quota + :r, used_quota = used_quota + :u WHERE id = :id"),
            [{"id": i, "r": batch.token_remain.get(i, 0), "u": batch.token_used.get(i, 0)} for i in ids],
        )


def write_channels(conn: Connection, batch: Deltas) -> None:
    ids = sorted(batch.channel_used)
    if ids:
        conn.execute(text("UPDATE channels SET used_quota = used_quota + :u WHERE id = :id"),
                     [{"id": i, "u": batch.channel_used[i]} for i in ids])
