"""The ledger journal's file side: records round-trip, a torn tail is ignored, many threads append
at once, many records share one fsync, segments rotate and are released, the node lock tells a
live journal from a dead one."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from backend.services import journal as wal


def open_journal(tmp_path: Path, **kw) -> wal.Journal:
    return wal.Journal(tmp_path, **kw).open()


def all_records(tmp_path: Path, node: str) -> list[list]:
    out = []
    for path in wal.segments(tmp_path, node):
        records, torn = wal.read_segment(path)
        assert not torn
        out.extend(records)
    return out


def test_records_round_trip(tmp_path: Path) -> None:
    j = open_journal(tmp_path)
    sent = [["A", j.next_seq(), 1, 2, 3, 10, 10, 1, 5, 0], ["G", j.next_seq(), {"content": "é", "quota": 7}]]
    for rec in sent:
        j.append(rec)
    assert j.wait(10)
    assert all_records(tmp_path, j.node) == sent
    j.close(delete=True)
    assert list(tmp_path.glob("*.wal")) == [] and not (tmp_path / f"{j.node}.lock").exists()


@pytest.mark.parametrize("cut", ["header", "payload", "crc", "garbage-length"])
def test_a_torn_or_corrupt_last_record_is_ignored(tmp_path: Path, cut: str) -> None:
    j = open_journal(tmp_path)
    for i in range(5):
        j.append(["Q", j.next_seq(), i])
    j.close(delete=False)
    [path] = wal.segments(tmp_path, j.node)
    last = wal.encode(["Q", 99, "last"])
    if cut == "header":
        tail = last[:5]
    elif cut == "payload":
        tail = last[:-3]
    elif cut == "crc":
        tail = last[:8] + last[8:].replace(b"last", b"lost")
    else:
        tail = (1 << 30).to_bytes(4, "little") + b"\0" * 20
    with path.open("ab") as f:
        f.write(tail)
    records, torn = wal.read_segment(path)
    assert torn
    assert records == [["Q", i + 1, i] for i in range(5)]


def test_concurrent_writers_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    j = open_journal(tmp_path)
    threads_n, per_thread = 8, 400
    start = threading.Barrier(threads_n)

    def writer(t: int) -> None:
        start.wait()
        for i in range(per_thread):
            j.append(["G", j.next_seq(), {"t": t, "i": i, "pad": "x" * (i % 50)}])
            if i % 100 == 0:
                j.wait(10)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(threads_n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert j.wait(10)
    records = all_records(tmp_path, j.node)
    assert sorted(r[1] for r in records) == list(range(1, threads_n * per_thread + 1))
    assert sorted((r[2]["t"], r[2]["i"]) for r in records) == [
        (t, i) for t in range(threads_n) for i in range(per_thread)]
    j.close(delete=True)


def test_records_queued_during_an_fsync_share_the_next_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = threading.Event(), threading.Event()
    calls = []
    real = os.fdatasync

    def slow_fdatasync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            entered.set()
            release.wait(10)
        real(fd)

    monkeypatch.setattr(wal.os, "fdatasync", slow_fdatasync)
    j = open_journal(tmp_path)
    j.append(["G", j.next_seq(), "first"])
    assert entered.wait(10)  # the writer is inside the first fsync
    for i in range(100):
        j.append(["G", j.next_seq(), i])
    release.set()
    assert j.wait(10)
    assert len(calls) == 2  # 100 records, one fsync
    assert len(all_records(tmp_path, j.node)) == 101
    j.close(delete=True)


async def test_wait_async_returns_once_the_records_are_on_disk(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    real = os.fdatasync

    def held_fdatasync(fd: int) -> None:
        release.wait(10)
        real(fd)

    monkeypatch.setattr(wal.os, "fdatasync", held_fdatasync)
    j = open_journal(tmp_path)
    j.append(["G", j.next_seq(), "x"])
    waiter = asyncio.ensure_future(j.wait_async())
    await asyncio.sleep(0.05)
    assert not waiter.done()  # the fsync has not finished
    release.set()
    await asyncio.wait_for(waiter, 10)
    assert all_records(tmp_path, j.node) == [["G", 1, "x"]]
    j.close(delete=True)


def test_rotation_and_release_drop_only_older_segments(tmp_path: Path) -> None:
    j = open_journal(tmp_path)
    j.append(["G", j.next_seq(), "old"])
    cut = j.rotate()
    j.append(["G", j.next_seq(), "new"])
    assert j.wait(10)
    assert len(wal.segments(tmp_path, j.node)) == 2
    j.release(cut)
    j.append(["G", j.next_seq(), "newer"])
    assert j.wait(10)
    assert all_records(tmp_path, j.node) == [["G", 2, "new"], ["G", 3, "newer"]]
    first, second = j.rotate(), j.rotate()  # the second finds an empty segment: no new file
    j.release(second)
    j.append(["G", j.next_seq(), "last"])
    assert j.wait(10)
    assert first.index == second.index == 2
    assert [r[2] for r in all_records(tmp_path, j.node)] == ["last"]
    j.close(delete=True)


def test_the_node_lock_tells_live_from_dead(tmp_path: Path) -> None:
    j = open_journal(tmp_path)
    assert wal.try_lock_node(tmp_path, j.node) is None  # alive (even seen from this very process)
    assert wal.nodes(tmp_path) == {j.node}
    j.close(delete=False)  # the process is gone, its files stay
    fd = wal.try_lock_node(tmp_path, j.node)
    assert fd is not None
    os.close(fd)


async def test_closing_wakes_every_waiter_and_ignores_later_appends(tmp_path: Path) -> None:
    j = open_journal(tmp_path)
    j.append(["G", j.next_seq(), "x"])
    await asyncio.wait_for(j.wait_async(), 10)
    j.close(delete=False)
    j.append(["G", j.next_seq(), "after close"])
    await asyncio.wait_for(j.wait_async(), 10)
    assert all_records(tmp_path, j.node) == [["G", 1, "x"]]


def test_state_counts_records_and_fsyncs(tmp_path: Path) -> None:
    """What the performance page shows: records queued, how many await fsync, group commits."""
    j = open_journal(tmp_path)
    j.append(["A", j.next_seq(), 1, 2, 3, 10, 10, 1, 5, 0])
    assert j.wait(10)
    state = j.state()
    assert state["node"] == j.node and state["records"] == 1 and state["unsynced"] == 0
    assert state["fsyncs"] >= 1 and state["failures"] == 0
    j.close(delete=True)
