"""Where a gateway worker's time goes, from py-spy's raw (folded) output.

    .venv/bin/python -m bench.profile_summary bench/results/profile/stock/gateway-1w.folded

Each sample is charged to one layer: walking its stack from the innermost frame outwards, the
first frame that belongs to a known layer decides (so time in asyncio's socket write called by
httpcore is httpcore's, and Starlette's header scan called by the relay is the framework's).
Samples with no Python frame (native threads) and samples of a thread that is only waiting
(parked pool threads, the event loop in epoll) are left out: what remains is CPU.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

# (layer, pattern on a frame's "function (file:line)" text), tried in order for each frame
LAYERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("upstream client: httpx/httpcore", re.compile(r"\((httpx|httpcore|httpcore2|httpx2|h11)/")),
    ("upstream client: aiohttp", re.compile(r"\((aiohttp|multidict|yarl)/|aiohttp_upstream\.py")),
    ("database: SQLAlchemy/sqlite3", re.compile(r"\((sqlalchemy|sqlmodel|sqlite3)/")),
    ("token counting: bpe_openai", re.compile(r"\(bpe_openai/|token_counter\.py")),
    (
        "gateway code: backend/",
        re.compile(r"\((backend/|relay/|services/|cache/|auth/|api/|relay_cors\.py|cors\.py)"),
    ),
    ("Reflex: reflex/ (console app only)", re.compile(r"\(reflex/")),
    (
        "ASGI framework: FastAPI/Starlette/pydantic",
        re.compile(r"\((fastapi|starlette|pydantic|pydantic_core)/"),
    ),
    ("server: granian", re.compile(r"\(granian/")),
    ("anyio (thread pool)", re.compile(r"\(anyio/")),
    ("event loop, threads, stdlib", re.compile(r".")),
)


ANYIO = "anyio (thread pool)"

# an innermost frame that only waits (a parked thread, the loop in epoll): not CPU, left out
IDLE = re.compile(
    r"^(Condition\.wait|Event\.wait|Queue\.get|Thread\.join|_wait_for_tstate_lock|EpollSelector\.select"
    r"|BaseSelector\.select|SimpleQueue\.get|sleep) \("
    r"|^_worker \(concurrent/futures/thread\.py:81\)"  # a pool thread parked on its queue (C get)
)


def _frames(stack: str) -> list[str]:
    return [f for f in stack.split(";") if f]


def _layer(frames: list[str]) -> str:
    for frame in reversed(frames):
        layer = next((name for name, pat in LAYERS[:-1] if pat.search(frame)), None)
        if layer is None:
            continue
        # httpcore does its socket I/O through anyio: that is the upstream client's time
        if layer == ANYIO and any(LAYERS[0][1].search(f) for f in frames):
            return LAYERS[0][0]
        return layer
    return LAYERS[-1][0]


def summarize(path: Path, top: int = 25) -> dict:
    layers: Counter[str] = Counter()
    own: Counter[str] = Counter()  # inclusive samples per backend/ frame (what to optimise there)
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = _frames(stack)
        if not frames or not count.isdigit() or IDLE.search(frames[-1]):
            continue
        n = int(count)
        total += n
        layers[_layer(frames)] += n
        for frame in set(frames):
            if LAYERS[4][1].search(frame) or LAYERS[3][1].search(frame):
                own[frame] += n
    return {
        "samples": total,
        "layers_pct": {k: round(100 * v / total, 1) for k, v in layers.most_common()} if total else {},
        "gateway_frames_inclusive_pct": {k: round(100 * v / total, 1) for k, v in own.most_common(top)}
        if total
        else {},
    }


def print_summary(summary: dict) -> None:
    print(f"{summary['samples']} samples")
    for layer, pct in summary["layers_pct"].items():
        print(f"  {pct:5.1f}%  {layer}")
    print("  gateway frames (inclusive):")
    for frame, pct in summary["gateway_frames_inclusive_pct"].items():
        print(f"  {pct:5.1f}%  {frame}")


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(arg)
        print_summary(summarize(Path(arg)))
