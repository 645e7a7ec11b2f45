"""One run's phases: open the pages, turns under faults (and a kill), settle, close."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from tests.bench.soak.faults import FaultScheduler
from tests.bench.soak.options import SoakOptions
from tests.bench.soak.tally import Tally
from tests.bench.soak.watchdog import watchdog
from tests.bench.soak.workers import EMAIL, PASSWORD
from tests.harness import AppServer, Worker

if TYPE_CHECKING:
    from tests.bench.soak.page import Page


class Soak:
    """The workers, the pages and the faults of one run."""

    def __init__(self, server: AppServer, options: SoakOptions, seed: int) -> None:
        self.server = server
        self.options = options
        self.seed = seed
        self.faults = FaultScheduler(self)
        self.tally = Tally()
        self.pages: list[Page] = []
        self.closing = False
        self.timed_out = False
        self.started = time.monotonic()
        self.turns_ended = 0.0
        self.settled_at = 0.0
        self._cookies: dict[int, str] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._faults_stopped = asyncio.Event()

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def cookie(self, worker: Worker) -> str:
        if worker.port not in self._cookies:
            self._cookies[worker.port] = self.server.login(EMAIL, PASSWORD, worker)
        return self._cookies[worker.port]

    def live_worker(self, preferred: Worker) -> Worker:
        alive = [w for w in self.server.workers if w.process.poll() is None]
        return preferred if preferred in alive else (alive or [preferred])[0]

    def other_worker(self, worker: Worker) -> Worker:
        others = [w for w in self.server.workers if w is not worker]
        return self.live_worker(others[0] if others else worker)

    async def run(self) -> None:
        self.spawn(watchdog(self))  # runs until the end, cancelled with the rest
        background = []
        if self.options.progress:
            background.append(self.spawn(self.report_progress()))
        try:
            async with asyncio.timeout(self.options.time_limit_s):
                await asyncio.gather(*(page.open() for page in self.pages))
                background.append(self.spawn(self.faults.run(self._faults_stopped)))
                if self.options.kills_a_worker:
                    background.append(self.spawn(self.kill_a_worker()))
                await asyncio.gather(
                    *(page.converse(self.options.turns) for page in self.pages)
                )
        except TimeoutError:
            self.timed_out = True
        self.turns_ended = self.elapsed()
        self._faults_stopped.set()
        await asyncio.gather(*background, return_exceptions=True)
        await asyncio.gather(
            *(page.until(page.settled, self.options.settle_s) for page in self.pages)
        )
        self.settled_at = self.elapsed()
        self.closing = True
        await asyncio.gather(*(page.close() for page in self.pages))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def kill_a_worker(self) -> None:
        """SIGKILL the second worker once about a third of the turns are done."""
        total = self.options.conversations * self.options.turns
        while self.tally.turns_done < total / 3:
            if self._faults_stopped.is_set():
                return
            await asyncio.sleep(0.5)
        victim = self.server.workers[-1]
        await asyncio.to_thread(victim.kill)
        self.tally.killed = f":{victim.port} at {self.elapsed():.1f}s"

    async def report_progress(self) -> None:
        total = self.options.conversations * self.options.turns
        while not self._faults_stopped.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(15):
                    await self._faults_stopped.wait()
            owners = sum(page.is_owner for page in self.pages)
            print(
                f"[{self.elapsed():6.1f}s] turns {self.tally.turns_done}/{total}, "
                f"faults {sum(self.tally.faults.values())}, pages owning "
                f"{owners}/{len(self.pages)}",
                flush=True,
            )
