"""A one-shot timer for the session's deadlines (goAway rotation, the session cap)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


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
