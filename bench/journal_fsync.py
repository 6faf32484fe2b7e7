"""What the ledger journal's durability wait costs one call: append a settle-sized record and await
its fsync, from C concurrent asyncio tasks, as `billing.settle` does.

    .venv/bin/python -m bench.journal_fsync [--dir DIR] [--calls 5000]

Prints, per concurrency, the wait per call (p50 / p99 / max, ms) and how many records one fsync
carried (group commit). DIR should be on the disk the gateway's journal uses (default: a temp dir
next to `data/`, i.e. the same file system as SQLITE_PATH's default).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from backend.services import journal as wal

RECORD = ["A", 0, 1, 1, 1, 1500, 1500, 1, 2000, 17]
LOG_ROW = {"user_id": 1, "type": 2, "content": "模型倍率 1.25，补全倍率 4.00，分组倍率 1.00", "quota": 1500,
           "model_name": "gpt-4o-mini", "prompt_tokens": 12, "completion_tokens": 9, "other": "{}" * 60}


async def run(directory: Path, calls: int, concurrency: int) -> dict[str, float]:
    journal = wal.Journal(directory).open()
    waits: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            journal.append([*RECORD[:1], journal.next_seq(), *RECORD[2:]])
            journal.append(["G", journal.next_seq(), LOG_ROW])
            t0 = time.perf_counter()
            await journal.wait_async()
            waits.append((time.perf_counter() - t0) * 1000)

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(calls)))
    elapsed = time.perf_counter() - start
    fsyncs = journal.fsyncs
    journal.close(delete=True)
    waits.sort()
    return {"concurrency": concurrency, "calls_per_s": calls / elapsed, "p50_ms": statistics.median(waits),
            "p99_ms": waits[int(len(waits) * 0.99) - 1], "max_ms": waits[-1], "calls_per_fsync": calls / max(fsyncs, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    base = args.dir or Path("data")
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="journal-bench-") as tmp:
        for concurrency in (1, 8, 64):
            r = asyncio.run(run(Path(tmp), args.calls, concurrency))
            print(f"c={r['concurrency']:<3} {r['calls_per_s']:8.0f} calls/s  wait p50 {r['p50_ms']:.3f} ms  "
                  f"p99 {r['p99_ms']:.3f} ms  max {r['max_ms']:.3f} ms  {r['calls_per_fsync']:.1f} calls per fsync")


if __name__ == "__main__":
    main()
