"""The faults: their kinds, and a scheduler that injects one every few seconds."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.bench.soak.phases import Soak

EMULATOR_FAULTS: dict[str, Callable[[random.Random], list[dict[str, Any]]]] = {
    "drop": lambda rng: [{"action": "drop"}],
    "goaway": lambda rng: [{"action": "goaway", "time_left_s": 1}],
    "close_1011": lambda rng: [{"action": "close", "code": 1011}],
    "fail_token_mints": lambda rng: [
        {"action": "fail_token_mints", "count": rng.randint(1, 2)},
        {"action": "drop"},
    ],
    "expire_handles": lambda rng: [{"action": "expire_handles"}, {"action": "drop"}],
    "stall": lambda rng: [{"action": "stall", "seconds": round(rng.uniform(1, 3), 1)}],
}
PAGE_FAULTS = ("socket_cut", "takeover")
FAULT_KINDS = (*EMULATOR_FAULTS, *PAGE_FAULTS)


class FaultScheduler:
    """Injects a fault of a random kind every ``fault_every_s`` until stopped."""

    def __init__(self, soak: Soak) -> None:
        self.soak = soak
        self.rng = random.Random(soak.seed)

    async def run(self, stopped: asyncio.Event) -> None:
        low, high = self.soak.options.fault_every_s
        while not stopped.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.rng.uniform(low, high)):
                    await stopped.wait()
            if stopped.is_set():
                return
            kind = self.rng.choice(FAULT_KINDS)
            if await self._inject(kind):
                self.soak.tally.faults[kind] += 1

    async def _inject(self, kind: str) -> bool:
        if kind in EMULATOR_FAULTS:
            for fault in EMULATOR_FAULTS[kind](self.rng):
                await asyncio.to_thread(self.soak.server.fault, fault)
            return True
        page = self.rng.choice(self.soak.pages)
        if kind == "socket_cut":
            on_next_send = self.rng.random() < 0.5
            if not on_next_send:
                await asyncio.sleep(self.rng.uniform(0, 0.5))
            return page.cut(on_next_send=on_next_send)
        return await page.take_over_elsewhere()
