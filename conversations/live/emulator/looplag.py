"""How late the emulator's event loop runs what is due: its loop lag.

A benchmark that uses the emulator as its baseline prints this, so that a reader
can tell a slow proxy from a slow emulator.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

INTERVAL_S = 0.01
KEEP = 200_000  # about half an hour of samples


class LoopLag:
    """Wakes every ``INTERVAL_S`` and records how late each wake-up was."""

    def __init__(self) -> None:
        self.samples: deque[float] = deque(maxlen=KEEP)

    async def run(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(INTERVAL_S)
            self.samples.append(max(0.0, time.perf_counter() - asked - INTERVAL_S))

    def summary(self) -> dict[str, Any]:
        """Count, p50, p99 and max of the samples since the last reset, in ms."""
        ordered = sorted(self.samples)
        if not ordered:
            return {"samples": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}

        def at(share: float) -> float:
            return round(
                ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000, 2
            )

        return {
            "samples": len(ordered),
            "p50_ms": at(0.5),
            "p99_ms": at(0.99),
            "max_ms": round(ordered[-1] * 1000, 2),
        }

    def reset(self) -> None:
        self.samples.clear()
