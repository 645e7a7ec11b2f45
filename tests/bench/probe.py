"""A Daphne worker that also reports its event-loop lag.

    python -m tests.bench.probe --lag-file F -- <daphne args>

Every 10 ms the worker's loop is asked to wake; how late it wakes is appended to
the lag file once a second as ``<unix time> <lag ms>`` lines, so a benchmark can
take the samples of any time window.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

LAG_INTERVAL_S = 0.01


async def sample_lag(path: Path) -> None:
    pending: list[str] = []
    flushed = time.monotonic()
    with path.open("a") as out:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(LAG_INTERVAL_S)
            lag = max(0.0, time.perf_counter() - asked - LAG_INTERVAL_S)
            pending.append(f"{time.time():.3f} {lag * 1000:.2f}\n")
            if time.monotonic() - flushed >= 1:
                out.writelines(pending)
                out.flush()
                pending.clear()
                flushed = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lag-file", type=Path, required=True)
    args, daphne_args = parser.parse_known_args()
    daphne_args = [arg for arg in daphne_args if arg != "--"]
    from daphne import server
    from daphne.cli import CommandLineInterface

    loop = server.twisted_loop
    tasks = []
    loop.call_soon(lambda: tasks.append(loop.create_task(sample_lag(args.lag_file))))
    sys.argv = ["daphne", *daphne_args]
    CommandLineInterface().run(daphne_args)


if __name__ == "__main__":
    main()
