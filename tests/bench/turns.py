"""Benchmark: what the proxy adds to a text turn, against Live spoken to directly.

    .venv/bin/python -m tests.bench.turns [--turns 30]

Both sides talk to the same emulator in the same run. The baseline is a bare
``LiveSession`` (no Django); the proxied side is the browser socket of a real
Daphne worker, which also stores every item and fans events out through the
channel layer (Redis when REDIS_URL is set). Prints median and p95 milliseconds
from sending a turn to its completed reply.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from conversations.live import LiveConfig, LiveSession, RunOpened  # noqa: E402
from conversations.live.protocol import TurnComplete  # noqa: E402
from tests.harness import AppServer, fast_emulator_config  # noqa: E402
from tests.integration.socket_client import BrowserSocket  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "bench-password-123"


class TurnTimer:
    def __init__(self) -> None:
        self.completed = asyncio.Queue()
        self.connected = asyncio.Event()

    async def on_event(self, event) -> None:
        if isinstance(event, RunOpened):
            self.connected.set()
        elif isinstance(event, TurnComplete):
            self.completed.put_nowait(time.perf_counter())


async def direct(base_url: str, turns: int) -> list[float]:
    listener = TurnTimer()
    session = LiveSession(
        LiveConfig(api_base=base_url, api_key="emulator-key", model="gemini-3.8-live"),
        listener,
    )
    await session.start()
    await listener.connected.wait()
    timings = []
    for n in range(turns):
        started = time.perf_counter()
        await session.send_text(f"direct turn {n}")
        timings.append((await listener.completed.get() - started) * 1000)
    await session.close()
    return timings


async def proxied(server: AppServer, turns: int) -> list[float]:
    cookie = server.login(EMAIL, PASSWORD)
    public_id = server.create_conversation(EMAIL, title="Bench")
    socket = await BrowserSocket.open(server.workers[0], public_id, cookie)
    await socket.hello()
    await socket.expect("session.created")
    timings = []
    for n in range(turns):
        started = time.perf_counter()
        await socket.send(type="text", text=f"proxied turn {n}")
        await socket.expect("turn.complete")
        timings.append((time.perf_counter() - started) * 1000)
    await socket.close()
    return timings


def report(label: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"{label:<28}{median:>10.1f}{p95:>10.1f}")
    return median


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = AppServer(
            tmp_dir=Path(tmp),
            emulator_config=fast_emulator_config(reply_chunk_delay_s=0.005),
            # Turns one after another, as fast as they are answered.
            extra_env={"CONVERSATION_TURN_RATE": f"{10 * args.turns}/s"},
        )
        try:
            server.start_worker()
            server.create_user(EMAIL, PASSWORD)
            # Alternate blocks so that machine noise hits both sides alike.
            baseline, measured = [], []
            for _ in range(3):
                baseline += await direct(server.emulator_url, args.turns // 3)
                measured += await proxied(server, args.turns // 3)
        finally:
            server.stop()
    layer = "redis" if os.environ.get("REDIS_URL") else "in-memory"
    database = "postgresql" if os.environ.get("DATABASE_URL") else "sqlite"
    print(f"turns: {len(baseline)} each; database: {database}; channel layer: {layer}")
    print(f"{'path':<28}{'median ms':>10}{'p95 ms':>10}")
    direct_median = report("LiveSession direct (base)", baseline)
    proxied_median = report("browser socket via Daphne", measured)
    print(f"proxy overhead (median): {proxied_median - direct_median:+.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
