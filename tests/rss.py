"""This process's resident memory, for tests that bound what a request may make the server hold
(the live gateway runs in a thread of the test process, so its memory is ours)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    """Resident bytes now (/proc/self/statm: the second field, in pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def _hwm() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmHWM")


def _reset_hwm() -> bool:
    """Linux resets the peak-RSS mark when "5" is written to clear_refs (4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_growth(action: Callable[[], None]) -> int:
    """How far resident memory rose above its starting level at any moment during `action`.
    The peak, not the end: freed buffers may have gone back to the system before `action` returns."""
    before = rss()
    if _reset_hwm():
        action()
        return _hwm() - before
    peak = before  # no peak mark: sample while the action runs
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.002):
            peak = max(peak, rss())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        action()
    finally:
        done.set()
        sampler.join()
    return max(peak, rss()) - before
