"""Handing a socket's messages to its consumer, one at a time, without delay.

Channels' ``await_many_dispatch`` starts a new task for every message and waits
for it with ``asyncio.wait``: three turns of the event loop per message, however
many are already waiting. When the loop is busy (a turn of 20 ms with a hundred
talking users), that caps a socket at about 17 messages a second, below the 50
audio frames a second a speaking user sends, so the frames queue without bound
while the CPU is not even full.

Here each source is read by one long-lived task that only receives, into one
inbox; the consumer's own task takes what is waiting there and handles it at
once, up to `IN_A_ROW` messages before it lets the others (and the replies
streaming out) have the loop. The handlers run where Channels runs them, in the
consumer's task, one at a time, in order per source; the readers are cancelled
as Channels cancels its pending reads, so a socket's end is the same.

A read that misses its cancellation (a Redis read under a read timeout did,
when its reply arrived just then: see the channel layer's settings) would
read on. So a stopped reader also stops at its next message, and the socket
waits `STOP_GRACE_S` at most for its readers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

Receive = Callable[[], Awaitable[dict[str, Any]]]
Dispatch = Callable[[dict[str, Any]], Awaitable[None]]

IN_A_ROW = 4
STOP_GRACE_S = 1.0


async def dispatch_in_turn(sources: list[Receive], dispatch: Dispatch) -> None:
    """Dispatch every source's messages until a dispatch (or a source) raises."""
    inbox: asyncio.Queue[dict[str, Any] | Exception] = asyncio.Queue()
    stopped = False

    async def read(receive: Receive) -> None:
        while not stopped:
            try:
                message = await receive()
            except Exception as error:  # handed over, raised in the consumer
                inbox.put_nowait(error)
                return
            inbox.put_nowait(message)

    readers = [asyncio.create_task(read(receive)) for receive in sources]
    try:
        handled = 0
        while True:
            message = await inbox.get()
            if isinstance(message, Exception):
                raise message
            await dispatch(message)
            handled += 1
            if handled % IN_A_ROW == 0:
                await asyncio.sleep(0)
    finally:
        stopped = True
        for reader in readers:
            reader.cancel()
        await asyncio.wait(readers, timeout=STOP_GRACE_S)
