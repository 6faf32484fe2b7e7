import asyncio

from backend import lifecycle
from tests.support import wait_until_async


async def test_periodic_job_runs_survives_failures_and_stops(monkeypatch):
    monkeypatch.setattr(lifecycle.PeriodicJob, "MIN_INTERVAL", 0.001)
    runs: list[int] = []

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("one bad run")

    periodic = lifecycle.PeriodicJob("test-job", lambda: 0.0, job, register=False)
    await periodic.start()
    try:
        await wait_until_async(lambda: len(runs) >= 3, "three runs of the job", 10)
    finally:
        await periodic.stop()
    assert runs[:3] == [0, 1, 2]  # the failing first run did not end the schedule
    assert periodic.task is None
    count = len(runs)
    await asyncio.sleep(0.05)  # the check itself: 50 intervals of 1 ms in which nothing may run
    assert len(runs) == count  # stopped means stopped


async def test_disabled_job_never_starts():
    periodic = lifecycle.PeriodicJob("off", lambda: 1.0, lambda: asyncio.sleep(0), enabled=lambda: False, register=False)
    await periodic.start()
    assert periodic.task is None
