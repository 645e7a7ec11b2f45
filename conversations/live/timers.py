"""Timing helpers of a session: one-shot deadlines and the caller's close request."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from .events import StopReason

T = TypeVar("T")


class OneShot:
    """Runs `action` once after a delay, unless cancelled first.

    `scheduled` stays true after the action ran, until `cancel()`: it says the
    deadline was set for the current connection.
    """

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    @property
    def scheduled(self) -> bool:
        return self._task is not None

    def start(self, delay_s: float, action: Callable[[], Awaitable[None]]) -> None:
        self.cancel()

        async def fire() -> None:
            await asyncio.sleep(max(0.0, delay_s))
            await action()

        self._task = asyncio.create_task(fire())

    def cancel(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()


class CloseRequest:
    """The caller's request to close, and why: waits and work that give way to it."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.reason = StopReason.USER

    @property
    def made(self) -> bool:
        return self._event.is_set()

    def make(self, reason: StopReason) -> None:
        self.reason = reason
        self._event.set()

    async def within(self, seconds: float) -> bool:
        """Wait `seconds` unless the request comes first; returns whether it came."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await self._event.wait()
        return self.made

    async def unless_made(self, work: Coroutine[Any, Any, T]) -> T | None:
        """Run `work` unless the request comes first (then it is cancelled)."""
        task = asyncio.create_task(work)
        waiting = asyncio.create_task(self._event.wait())
        try:
            await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return None
        return task.result()
