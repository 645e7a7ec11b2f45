"""The stored conversations the verdict is drawn from, read once the runs end."""

from __future__ import annotations

import asyncio
import time

from tests.bench.soak.limits import RUNS_CLOSE_S
from tests.harness import AppServer


async def final_records(server: AppServer, ids: list[str]) -> dict[str, dict]:
    """The stored conversations once every relay let go of its run.

    A socket that left ends its run (browser_left) as soon as the upstream is
    closed, which a stalled upstream delays by seconds; a run still open after
    that is a relay that never let go.
    """
    deadline = time.monotonic() + RUNS_CLOSE_S
    while True:
        await asyncio.sleep(1)
        records = await asyncio.to_thread(server.conversation_records, ids)
        if not open_runs(records) or time.monotonic() > deadline:
            return records


def open_runs(records: dict[str, dict]) -> list[tuple[str, int]]:
    return [
        (public_id, run["run_id"])
        for public_id, record in records.items()
        for run in record["runs"]
        if not run["end_reason"]
    ]
