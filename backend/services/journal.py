"""A local write-ahead journal of the ledger's buffered writes, so a crash loses no answered call.

The ledger, the consume log buffer and quota_data keep their changes in memory and write them
every BATCH_UPDATE_INTERVAL seconds. Each change is also appended here (with a sequence number
from one counter per process) and a writer thread writes and fsyncs whatever has queued: many
calls share one fsync (group commit), and `settle` awaits the fsync of its own records before the
response ends. A flush writes, in the same transaction as its batch, the highest sequence number
the batch holds (`journal_marks`), so the replay at the next start (`journal_replay`) applies
exactly the records the database lacks.

Files, in the journal directory: `<node>.lock` (held with flock while the process lives, so a
starting process can tell a dead journal from a live one) and segments `<node>.<n>.wal`. A flush
rotates to a new segment first and, once every buffer reached the database, deletes the older
ones: the journal holds at most about two flush intervals of records.

A record is `<u32 length><u32 crc32><orjson payload>`; a torn or corrupt record ends the segment
when it is read (only the last record a crash interrupted can be torn).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import logging
import os
import re
import secrets
import socket
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger("newapi.journal")

_HEADER = struct.Struct("<II")  # payload length, crc32 of the payload
MAX_RECORD = 16 << 20  # a length above this is garbage (a torn header), not a record
LOCK_SUFFIX = ".lock"
SEGMENT = re.compile(r"^(?P<node>[A-Za-z0-9_-]{1,64})\.(?P<index>\d{6,})\.wal$")


def encode(record: list[Any]) -> bytes:
    payload = orjson.dumps(record)
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def read_segment(path: Path) -> tuple[list[list[Any]], bool]:
    """The records of one segment, and whether it ended in a torn or corrupt record."""
    data = path.read_bytes()
    records: list[list[Any]] = []
    pos = 0
    while pos < len(data):
        if pos + _HEADER.size > len(data):
            return records, True
        length, crc = _HEADER.unpack_from(data, pos)
        start, end = pos + _HEADER.size, pos + _HEADER.size + length
        if length > MAX_RECORD or end > len(data) or zlib.crc32(data[start:end]) != crc:
            return records, True
        try:
            records.append(orjson.loads(data[start:end]))
        except orjson.JSONDecodeError:
            return records, True
        pos = end
    return records, False


def segment_path(directory: Path, node: str, index: int) -> Path:
    return directory / f"{node}.{index:06d}.wal"


def segments(directory: Path, node: str) -> list[Path]:
    """One node's segments, oldest first."""
    found = []
    for path in directory.glob(f"{node}.*.wal"):
        m = SEGMENT.match(path.name)
        if m and m["node"] == node:
            found.append((int(m["index"]), path))
    return [p for _, p in sorted(found)]


def nodes(directory: Path) -> set[str]:
    """Every node with a lock file or a segment in `directory`."""
    out = set()
    for path in directory.iterdir():
        if path.name.endswith(LOCK_SUFFIX) and path.name != DIR_LOCK:
            out.add(path.name[: -len(LOCK_SUFFIX)])
        elif m := SEGMENT.match(path.name):
            out.add(m["node"])
    return out


DIR_LOCK = "replay.lock"


@contextlib.contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """Serialises replays and journal creation among the processes sharing `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / DIR_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def try_lock_node(directory: Path, node: str) -> int | None:
    """An fd holding `node`'s lock, or None while its process is alive (it holds the lock)."""
    fd = os.open(directory / f"{node}{LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def new_node_name() -> str:
    """Unique across hosts and restarts: it keys the marker rows in a possibly shared database."""
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(6)}"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class Cut:
    """A rotation point: segments below `index` hold only records queued before it."""

    index: int = -1


class Journal:
    """One process's journal: `append` from any thread, a writer thread writes and fsyncs."""

    def __init__(self, directory: Path, node: str | None = None, *, fsync: bool = True) -> None:
        self.directory = directory
        self.node = node or new_node_name()
        self._fsync = fsync
        self._seq = itertools.count(1)
        self._cond = threading.Condition(threading.Lock())
        self._queue: list[bytes | tuple[str, Cut]] = []
        self._appended = 0  # records queued so far
        self._synced = 0  # records queued before the last completed fsync
        self._waiters: list[tuple[int, asyncio.AbstractEventLoop, asyncio.Future]] = []
        self._closing = False
        self._index = 0
        self._fd = -1
        self._lock_fd = -1
        self._thread: threading.Thread | None = None
        self.failures = 0  # failed writes (logged)
        self.fsyncs = 0  # group commits so far (bench/journal_fsync.py reports records per fsync)

    # ---- life -------------------------------------------------------------------------------

    def open(self) -> Journal:
        """Take the node lock and open the first segment (the caller holds `directory_lock`)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = try_lock_node(self.directory, self.node)
        if fd is None:
            raise RuntimeError(f"journal {self.node} is locked by another process")
        self._lock_fd = fd
        self._open_segment()
        self._thread = threading.Thread(target=self._run, name="newapi-journal", daemon=True)
        self._thread.start()
        return self

    def close(self, *, delete: bool) -> None:
        """Write what is queued and stop; `delete` removes the files (everything is in the DB)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if delete:
            for path in segments(self.directory, self.node):
                path.unlink(missing_ok=True)
            (self.directory / f"{self.node}{LOCK_SUFFIX}").unlink(missing_ok=True)
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1
        self._wake(self._appended)

    # ---- the callers' side ------------------------------------------------------------------

    def next_seq(self) -> int:
        """The next sequence number (atomic: itertools.count under the GIL)."""
        return next(self._seq)

    def append(self, record: list[Any]) -> None:
        """Queue one record; `wait` / `wait_async` return once it is on disk."""
        data = encode(record)
        with self._cond:
            if self._closing:
                return
            self._queue.append(data)
            self._appended += 1
            self._cond.notify()

    def rotate(self) -> Cut:
        """Queue a switch to a new segment; records queued before it stay in older segments."""
        cut = Cut()
        with self._cond:
            if not self._closing:
                self._queue.append(("rotate", cut))
                self._cond.notify()
        return cut

    def release(self, cut: Cut) -> None:
        """Queue the removal of the segments older than `cut` (their records are in the DB)."""
        with self._cond:
            if not self._closing:
                self._queue.append(("release", cut))
                self._cond.notify()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every record queued so far is on disk."""
        with self._cond:
            target = self._appended
            return self._cond.wait_for(lambda: self._synced >= target or self._closing, timeout)

    async def wait_async(self) -> None:
        """Await (without a thread) until every record queued so far is on disk."""
        target = self._appended
        if self._synced >= target:
            return
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._cond:
            if self._synced >= target or self._closing:
                return
            self._waiters.append((target, loop, fut))
        await fut

    # ---- the writer thread ------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException:
            log.exception("the ledger journal's writer stopped; charges are no longer crash-safe")
            raise
        finally:  # nobody may wait for a writer that is gone
            with self._cond:
                self._closing = True
            self._wake(self._appended)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                items, self._queue = self._queue, []
                target, closing = self._appended, self._closing
            if items:
                try:
                    self._write(items)
                except Exception:  # the disk failed: the calls go on (their charges are in memory)
                    self.failures += 1
                    log.exception("ledger journal write failed; these charges are not crash-safe")
                    with contextlib.suppress(Exception):
                        self._next_segment()
            self._wake(target)
            if closing and not items:
                return

    def _write(self, items: list[bytes | tuple[str, Cut]]) -> None:
        chunk: list[bytes] = []
        for item in items:
            if isinstance(item, bytes):
                chunk.append(item)
                continue
            self._write_out(chunk)
            chunk = []
            op, cut = item
            if op == "rotate":
                self._next_segment()
                cut.index = self._index
            elif cut.index >= 0:  # release
                for path in segments(self.directory, self.node):
                    m = SEGMENT.match(path.name)
                    if m and int(m["index"]) < cut.index:
                        path.unlink(missing_ok=True)
        self._write_out(chunk)

    def _write_out(self, chunk: list[bytes]) -> None:
        if not chunk:
            return
        data = b"".join(chunk)
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        if self._fsync:
            os.fdatasync(self._fd)
            self.fsyncs += 1

    def _open_segment(self) -> None:
        path = segment_path(self.directory, self.node, self._index)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if self._fsync:
            _fsync_dir(self.directory)  # the new file's name survives a power cut too

    def _next_segment(self) -> None:
        if self._fd >= 0:
            if os.fstat(self._fd).st_size == 0:
                return  # nothing written since the last rotation: keep using it
            os.close(self._fd)
            self._fd = -1
        self._index += 1
        self._open_segment()

    def _wake(self, target: int) -> None:
        with self._cond:
            self._synced = max(self._synced, target)
            self._cond.notify_all()
            ready = [w for w in self._waiters if w[0] <= self._synced or self._closing]
            if ready:
                self._waiters = [w for w in self._waiters if w[0] > self._synced and not self._closing]
        by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}
        for _, loop, fut in ready:
            by_loop.setdefault(loop, []).append(fut)
        for loop, futs in by_loop.items():  # one wake-up per event loop and batch
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                loop.call_soon_threadsafe(_resolve, futs)


def _resolve(futs: list[asyncio.Future]) -> None:
    for fut in futs:
        if not fut.done():
            fut.set_result(None)


# ---- the process's journal ----------------------------------------------------------------------

_current: Journal | None = None


def current() -> Journal | None:
    return _current


def install(journal: Journal | None) -> None:
    """Make `journal` the one the ledger, the log buffer and quota_data append to."""
    global _current
    _current = journal


async def durable() -> None:
    """Return once everything this process journaled so far is on disk (at once without one)."""
    journal = _current
    if journal is not None:
        await journal.wait_async()
