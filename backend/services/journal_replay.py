"""Start-up recovery: what a crashed gateway process journaled reaches the database exactly once.

At start, under the journal directory's lock, every node (journal) whose lock nobody holds is a
dead process's. Its records are read (a torn last record is ignored: its call never got its
answer) and applied where the database's mark for that node and kind (`journal_marks`) is lower:

- "A" (a settle or refund, seq s, naming its reservation r and amount): if s > mark, its counter
  changes are missing; if also r > mark, the reservation was never flushed either and is added.
  A reservation whose call never settled before the crash (no "A") is not charged.
- "G" (a log row) and "Q" (a quota_data increment): added if above their own mark.
- "R" (a reservation, journaled only with Redis): nothing for the DB; with the "A" records it
  tells how much the dead process left in Redis's shared `pending` (`release_dead`).

The marks are raised in the same transactions, so a crash during the replay repeats nothing. Then
the files go, and the marks with them. Finally this process opens its own journal.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.cache.redis_client import get_sync_redis
from backend.config import get_settings
from backend.db import get_relay_engine, get_relay_log_engine
from backend.services import journal as wal
from backend.services import quota_data, usage_log
from backend.services.journal_marks import LEDGER, LOG, QUOTA, drop_marks, marks, set_mark
from backend.services.ledger_deltas import Deltas, write_deltas
from backend.services.ledger_redis import RedisBalances

log = logging.getLogger("newapi.journal")


@dataclass
class Replayed:
    """What one dead journal added to the database (and took out of Redis's `pending`)."""

    charges: int = 0
    log_rows: int = 0
    quota_buckets: int = 0
    torn: bool = False
    redis_users: dict[int, int] = field(default_factory=dict)
    redis_tokens: dict[int, int] = field(default_factory=dict)


def _share(d: dict[int, int], key: int | None, value: int) -> None:
    if key is not None:
        d[key] = d.get(key, 0) + value  # zeros kept: every touched balance is re-seeded


def _records(directory: Path, node: str) -> tuple[list[list[Any]], bool]:
    out: list[list[Any]] = []
    torn = False
    for path in wal.segments(directory, node):
        records, bad = wal.read_segment(path)
        if bad:
            log.warning("journal segment %s ends in a torn record (a crash mid-write); the rest is kept", path.name)
        torn = torn or bad
        out.extend(records)
    return out, torn


def replay_node(directory: Path, node: str) -> Replayed:
    """Apply what the database lacks of `node`'s journal (the caller holds its lock)."""
    records, torn = _records(directory, node)
    done = Replayed(torn=torn)
    with get_relay_engine().begin() as conn:
        have = marks(conn, node)
        ledger_mark, quota_mark = have.get(LEDGER, 0), have.get(QUOTA, 0)
        deltas = Deltas()
        sums: quota_data.Batch = {}
        top = {LEDGER: ledger_mark, QUOTA: quota_mark}
        for rec in records:
            kind, seq = rec[0], int(rec[1])
            if kind == "A" and seq > ledger_mark:
                _, _, user, token, channel, quota_delta, used, requests, reserved, reserve_seq = rec
                deltas.apply(user, token, quota_delta, used, requests, channel)
                if reserved and reserve_seq > ledger_mark:
                    deltas.reserve(user, token, reserved)
                _share(done.redis_users, user, -quota_delta)
                _share(done.redis_tokens, token, -quota_delta)
                done.charges += 1
                top[LEDGER] = max(top[LEDGER], seq)
            elif kind == "R" and seq > ledger_mark:
                _, _, user, token, taken = rec
                _share(done.redis_users, user, -taken)
                _share(done.redis_tokens, token, -taken)
                top[LEDGER] = max(top[LEDGER], seq)
            elif kind == "Q" and seq > quota_mark:
                _, _, user, username, model, created_at, token_used, quota, count = rec
                quota_data.add_to(sums, user, username, model, created_at, token_used, quota, count)
                top[QUOTA] = max(top[QUOTA], seq)
        write_deltas(conn, deltas)
        quota_data.write_sums(conn, sums)
        done.quota_buckets = len(sums)
        for kind, seq in top.items():
            if seq > have.get(kind, 0):
                set_mark(conn, node, kind, seq)
    with get_relay_log_engine().begin() as conn:
        log_mark = marks(conn, node).get(LOG, 0)
        rows = [(int(rec[1]), rec[2]) for rec in records if rec[0] == "G" and int(rec[1]) > log_mark]
        if rows:
            usage_log.insert_rows(conn, [row for _, row in rows])
            set_mark(conn, node, LOG, max(seq for seq, _ in rows))
        done.log_rows = len(rows)
    client = get_sync_redis()
    if client is not None and (done.redis_users or done.redis_tokens):
        RedisBalances(client).release_dead(done.redis_users, done.redis_tokens)
    return done


def _forget_node(directory: Path, node: str) -> None:
    for path in wal.segments(directory, node):
        path.unlink(missing_ok=True)
    (directory / f"{node}{wal.LOCK_SUFFIX}").unlink(missing_ok=True)
    _drop_marks(node)


def _drop_marks(node: str) -> None:
    """Best effort: a row left behind (DB down) is never read again, nodes are never reused."""
    engines = [get_relay_engine()]
    if get_settings().LOG_SQL_DSN:
        engines.append(get_relay_log_engine())
    for engine in engines:
        try:
            drop_marks(engine, node)
        except Exception:
            log.warning("could not remove the journal marks of %s", node, exc_info=True)


def replay_directory(directory: Path) -> list[Replayed]:
    """Replay every dead journal in `directory` (the caller holds `wal.directory_lock`)."""
    out = []
    own = wal.current()
    for node in sorted(wal.nodes(directory)):
        if own is not None and own.node == node:
            continue
        fd = wal.try_lock_node(directory, node)
        if fd is None:
            continue  # its process is alive
        try:
            done = replay_node(directory, node)
            _forget_node(directory, node)
        except Exception:  # e.g. the DB is down: the files stay, the next start replays them
            log.exception("could not replay the ledger journal of %s; kept for the next start", node)
            continue
        finally:
            os.close(fd)
        level = logging.WARNING if done.charges or done.log_rows or done.quota_buckets else logging.INFO
        log.log(level, "replayed the ledger journal of %s (a process that did not stop cleanly): %d charges, "
                "%d log rows, %d quota_data buckets", node, done.charges, done.log_rows, done.quota_buckets)
        out.append(done)
    return out


def recover_and_open() -> list[Replayed]:
    """At start: replay dead journals, then journal this process's charges (when batching)."""
    settings = get_settings()
    directory = settings.ledger_journal_dir
    if directory is None:
        return []
    try:
        with wal.directory_lock(directory):
            done = replay_directory(directory)
            if settings.BATCH_UPDATE_ENABLED and wal.current() is None:
                wal.install(wal.Journal(directory).open())
    except OSError:  # e.g. a read-only data dir: serve, but say loudly what is at stake
        log.exception("cannot use the ledger journal in %s (LEDGER_JOURNAL_DIR): a crash will lose up to "
                      "BATCH_UPDATE_INTERVAL of charges", directory)
        return []
    return done


def retire(delete: bool) -> None:
    """At shutdown: `delete` once everything reached the DB, else keep it for the next start."""
    journal = wal.current()
    if journal is None:
        return
    wal.install(None)
    with wal.directory_lock(journal.directory):
        journal.close(delete=delete)
    if delete:
        _drop_marks(journal.node)


def discard() -> None:
    """Tests' process reset: the buffers are forgotten, so is the journal holding them."""
    journal = wal.current()
    wal.install(None)
    if journal is not None:
        with contextlib.suppress(OSError):
            journal.close(delete=True)
