"""Process plumbing for the benchmarks: free ports (tests/support.py), start/stop servers, CPU and RSS
from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# One free-port helper for the tests and the benchmarks (bench.* calls procs.free_port).
from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
_CLK_TCK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Block until something accepts on 127.0.0.1:port; fail fast if the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def spawn(args: list[str], env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen:
    """Start a server in its own process group, so `stop` can end it and its workers together."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGINT the group (granian shuts down gracefully, the gateway flushes), SIGKILL if it hangs."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass


def start_mock(log: Path | None = None) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = spawn([sys.executable, "-m", "bench.mock_upstream", "--port", str(port)], log=log)
    wait_port(port, proc)
    return proc, port


def children(pid: int) -> list[int]:
    """Direct children (granian's workers are children of its main process)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def tree(pid: int) -> list[int]:
    out = [pid]
    for child in children(pid):
        out.extend(tree(child))
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (not its children), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except FileNotFoundError:
        return 0.0
    fields = raw[raw.rindex(")") + 2 :].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(p) for p in tree(pid))


@dataclass
class Memory:
    pid: int
    rss_mb: float
    peak_rss_mb: float
    pss_mb: float  # RSS with pages shared between processes split among them (fork-shared code)
    private_mb: float  # what this process alone holds


def memory(pid: int) -> Memory:
    rss = hwm = pss = private = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                    private += int(line.split()[1])
    except FileNotFoundError:  # kernels before 4.14
        pss = private = rss
    return Memory(pid, rss / 1024, hwm / 1024, pss / 1024, private / 1024)


def worker_pids(server_pid: int) -> list[int]:
    """The processes that serve requests: granian's children, or the server itself if it has none."""
    kids = children(server_pid)
    return kids or [server_pid]


def machine() -> dict:
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        total_kb = int(f.readline().split()[1])
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "mem_total_gb": round(total_kb / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "kernel": os.uname().release,
    }
