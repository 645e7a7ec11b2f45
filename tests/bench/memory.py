"""Benchmark: a worker's memory per open conversation, and whether it grows.

    .venv/bin/python -m tests.bench.memory [--users 50] [--minutes 30]

One Daphne worker (SQLite and the in-memory layer) and the emulator, laid out as
in the voice benchmark. The worker's resident memory (RSS) is read when it is
warm (one conversation opened, talked to and closed), with N voice conversations
open and live but silent, and while all N talk. Then the N users go on talking,
turn after turn, for the given minutes, and the RSS is sampled every few seconds:
the slope of the second half of the run is printed in MB per hour. By then every
conversation has long reached its steady state, so growth there is a leak.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.soak.workers import EMAIL
from tests.bench.stage import Stage, stage
from tests.bench.voice import load_average, open_all
from tests.bench.voice_users import ProxiedUser, User
from tests.harness import Worker

SAMPLE_EVERY_S = 5.0
# pymalloc keeps freed arenas for reuse: a few MB of drift an hour is not a leak.
SLOPE_LIMIT_MB_PER_HOUR = 5.0


def rss_mb(worker: Worker) -> float:
    """The worker's resident memory, in MB."""
    for line in Path(f"/proc/{worker.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS for the worker")


def slope_mb_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per hour."""
    if len(samples) < 2:
        return 0.0
    return statistics.linear_regression(*zip(*samples, strict=True)).slope * 3600


async def open_users(stage_: Stage, ids: list[str]) -> list[User]:
    worker = stage_.workers[0]
    cookie = stage_.login(worker)
    failed: list[str] = []
    users = await open_all(
        [lambda i=i: ProxiedUser.open(worker, i, cookie) for i in ids], failed
    )
    if failed:
        raise RuntimeError(f"{len(failed)} sockets did not open: {failed[:3]}")
    return users


async def keep_talking(users: list[User], until: float) -> int:
    """Every user talks turn after turn until `until`; the turns with no reply."""

    async def one(user: User) -> int:
        missing = 0
        while time.monotonic() < until and not user.heard.closed:
            missing += sum(r.latency_ms is None for r in await user.talk(1))
        return missing

    return sum(await asyncio.gather(*(one(user) for user in users)))


async def bench(args: argparse.Namespace, tmp_dir: Path) -> int:
    print(f"load average (1, 5, 15 min) at the start: {load_average()}", flush=True)
    with stage(tmp_dir, workers=1, users=args.users + 1) as stage_:
        worker = stage_.workers[0]
        ids = stage_.server.create_conversations(EMAIL, ["voice"] * (args.users + 1))
        # Warm: everything a conversation imports and caches is loaded once.
        (first,) = await open_users(stage_, ids[:1])
        await first.talk(1)
        await first.close()
        await asyncio.sleep(2)
        warm = rss_mb(worker)

        users = await open_users(stage_, ids[1:])
        await asyncio.sleep(2)
        idle = rss_mb(worker)

        samples: list[tuple[float, float]] = []
        started = time.monotonic()

        async def sample() -> None:
            while True:
                samples.append((time.monotonic() - started, rss_mb(worker)))
                await asyncio.sleep(SAMPLE_EVERY_S)

        sampler = asyncio.create_task(sample())
        try:
            missing = await keep_talking(users, started + args.minutes * 60)
        finally:
            sampler.cancel()
            await asyncio.gather(*(user.close() for user in users))
        errors = stage_.logged_errors()

    talking_peak = max(mb for _, mb in samples)
    second_half = [(t, mb) for t, mb in samples if t >= samples[-1][0] / 2]
    slope = slope_mb_per_hour(second_half)
    n = args.users
    print(f"load average (1, 5, 15 min) at the end: {load_average()}")
    print(
        f"one worker (sqlite + in-memory), {n} voice conversations, "
        f"{args.minutes:g} min"
    )
    print(f"warm worker RSS                 {warm:8.1f} MB")
    print(
        f"{n} open, live, silent         {idle:8.1f} MB  "
        f"({(idle - warm) * 1024 / n:.0f} kB per idle open conversation)"
    )
    print(
        f"{n} talking (peak)             {talking_peak:8.1f} MB  "
        f"({(talking_peak - warm) * 1024 / n:.0f} kB per streaming conversation)"
    )
    print(
        f"RSS at the end                  {samples[-1][1]:8.1f} MB; slope over the "
        f"second half {slope:+.1f} MB/hour ({len(second_half)} samples)"
    )
    for line in errors[:20]:
        print(f"  logged: {line}")
    ok = slope <= SLOPE_LIMIT_MB_PER_HOUR and not errors and missing == 0
    print(
        f"verdict: {'PASS' if ok else 'MISS'}: slope {slope:+.1f} MB/hour "
        f"(<= {SLOPE_LIMIT_MB_PER_HOUR:g}); errors logged {len(errors)}, "
        f"turns with no reply {missing}",
        flush=True,
    )
    return 0 if ok else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.memory", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=30.0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        return asyncio.run(bench(args, Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())
