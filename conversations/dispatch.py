"""Handing a socket's messages to its consumer, one at a time, without delay.

Channels' ``await_many_dispatch`` starts a new task for every message and waits
for it with ``asyncio.wait``: three turns of the event loop per message, however
many are already waiting. When the loop is busy (a turn of 20 ms with a hundred
talking users), that caps a socket at about 17 messages a second, below the 50
audio frames a second a speaking user sends, so the frames queue without bound
while the CPU is not even full. Here each source is read by one long-lived task;
a message that is already waiting is handled at once, up to `IN_A_ROW` of them
before the socket lets the others (and the replies streaming out) have the loop.
A lock keeps the handling one message at a time, in order per source, as in
Channels.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]
Dispatch = Callable[[dict[str, Any]], Awaitable[None]]

IN_A_ROW = 4


async def dispatch_in_turn(sources: list[Receive], dispatch: Dispatch) -> None:
    """Dispatch every source's messages until a dispatch (or a source) raises."""
    turn = asyncio.Lock()

    async def relay(receive: Receive) -> None:
        handled = 0
        while True:
            message = await receive()
            async with turn:
                await dispatch(message)
            handled += 1
            if handled % IN_A_ROW == 0:
                await asyncio.sleep(0)

    tasks = [asyncio.create_task(relay(receive)) for receive in sources]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()  # StopConsumer, or what went wrong
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
