"""Buffered writes that survive a crash: one shape for the usage log and the hourly quota_data sums.

A buffer holds one pending batch. `add` changes it and appends the change to the journal
(`journal.py`) under one lock, so the journal's order is the batch's order. `flush` swaps the batch
out, writes it and the journal mark (how far the batches got) in one transaction, and on failure
merges it back for the next try: a crash loses no change and a replay repeats none.

`flush_all` is the one place that writes every buffer (the periodic flusher, shutdown, tests):
buffers register their flush with `flushes` in the order they must run, so the module that owns
the schedule (the ledger) does not need to know the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, Self, TypeVar

from sqlalchemy.engine import Connection, Engine

from backend.services import journal as wal
from backend.services.journal_marks import set_mark

log = logging.getLogger("newapi.batch")


class Batch(Protocol):
    def merge(self, other: Self) -> None: ...
    def __len__(self) -> int: ...


B = TypeVar("B", bound=Batch)


class JournaledBuffer(Generic[B]):
    """`new_batch` makes an empty batch; `write` stores one inside the caller's transaction;
    `mark` names the journal mark (journal_marks) the flush advances."""

    def __init__(self, what: str, mark: str, new_batch: Callable[[], B], write: Callable[[Connection, B], None],
                 engine: Callable[[], Engine]) -> None:
        self.what, self._mark, self._new, self._write, self._engine = what, mark, new_batch, write, engine
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._batch: B = new_batch()
        self._max_seq = 0  # the highest journal sequence number among the changes taken so far

    def add(self, change: Callable[[B], None], record: Callable[[int], list[Any]] | None = None) -> None:
        """Apply `change` to the pending batch; `record(seq)` is its journal record."""
        with self._lock:
            change(self._batch)
            journal = wal.current()
            if journal is not None and record is not None:
                seq = self._max_seq = journal.next_seq()
                journal.append(record(seq))

    def snapshot(self, read: Callable[[B], Any]) -> Any:
        """`read` of the pending batch, under the lock (tests, diagnostics)."""
        with self._lock:
            return read(self._batch)

    def flush(self) -> bool:
        """Write the pending batch and its journal mark in one transaction. False (batch kept) if
        the database failed."""
        with self._flush_lock:
            with self._lock:
                batch, self._batch = self._batch, self._new()
                journal = wal.current()
                mark = (journal.node, self._max_seq) if journal is not None and self._max_seq else None
            if not len(batch):
                return True
            try:
                with self._engine().begin() as conn:
                    self._write(conn, batch)
                    if mark is not None:  # commits with the batch, or not at all
                        set_mark(conn, mark[0], self._mark, mark[1])
            except Exception:
                log.exception("%s flush failed; %d kept for the next try", self.what, len(batch))
                with self._lock:
                    batch.merge(self._batch)  # what came in meanwhile goes after the old batch
                    self._batch = batch
                return False
            return True


Flush = Callable[[], bool]
flushes: list[tuple[int, Flush]] = []


def register_flush(order: int, flush: Flush) -> None:
    """`flush` runs in `flush_all`, lower `order` first (counters before logs before sums)."""
    flushes.append((order, flush))
    flushes.sort(key=lambda item: item[0])


def flush_all() -> bool:
    """Every registered buffer, each tried even if another fails; True when all reached the DB."""
    ok = True
    for _order, step in list(flushes):
        try:
            ok = step() and ok
        except Exception:  # one failing buffer must not keep the others from being written
            log.exception("flush step %s failed", getattr(step, "__qualname__", step))
            ok = False
    return ok
