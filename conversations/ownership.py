"""Which socket holds a conversation's one upstream Live session, and moving it.

The holder keeps a lease in the database (`leases`) and renews it while it lives;
a worker killed with its sockets stops renewing, so its lease lapses.

Taking over is event-driven: the taker asks the holder to let go (`lease.release`
on the holder's channel); the holder stops its relay, releases the lease and tells
every socket of the conversation (`presence.changed`), which wakes the taker. A
holder that never answers (its worker died) is waited out until its lease lapses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull

from . import leases

logger = logging.getLogger(__name__)

# How long past the lease's own lifetime a taker keeps trying before it gives up.
TAKEOVER_GRACE_S = 3.0


class Ownership:
    """One socket's claim on its conversation's upstream."""

    def __init__(
        self,
        *,
        conversation_id: int,
        channel_name: str,
        group: str,
        layer: Any,
        ttl_s: float,
    ) -> None:
        self.conversation_id = conversation_id
        self.channel_name = channel_name
        self.group = group
        self._layer = layer
        self._ttl_s = ttl_s
        self._keeper: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def acquire(self) -> bool:
        """Take the lease if it is free, lapsed or already ours."""
        return await database_sync_to_async(leases.acquire_lease)(
            conversation_id=self.conversation_id,
            holder=self.channel_name,
            ttl_s=self._ttl_s,
        )

    async def release(self) -> None:
        self.stop_keeping()
        await database_sync_to_async(leases.release_lease)(
            conversation_id=self.conversation_id, holder=self.channel_name
        )

    async def holder(self) -> str:
        """The live holder's channel name, or "" when nobody holds the lease."""
        return await database_sync_to_async(leases.current_lease_holder)(
            conversation_id=self.conversation_id
        )

    def keep(self, on_lost: Callable[[], Awaitable[None]]) -> None:
        """Renew the lease until released; `on_lost` runs if another socket took it."""
        self.stop_keeping()
        self._keeper = asyncio.create_task(self._renew(on_lost))

    def stop_keeping(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None and keeper is not asyncio.current_task():
            keeper.cancel()

    def presence_changed(self) -> None:
        """Someone released or took the lease: a waiting takeover tries again."""
        self._changed.set()

    async def take_over(self) -> bool:
        """Ask the holder to let go and take the lease; False if it never came free."""
        holder = await self.holder()
        if holder == self.channel_name:
            holder = ""
        answered = not holder or await self._ask_to_release(holder)
        deadline = time.monotonic() + self._ttl_s + TAKEOVER_GRACE_S
        while True:
            self._changed.clear()
            if await self.acquire():
                if not answered:
                    # Its worker died: nothing reads that channel any more, and
                    # every message to the conversation would still fill it.
                    await self._layer.group_discard(self.group, holder)
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            lapse = await database_sync_to_async(leases.lease_expires_in)(
                conversation_id=self.conversation_id
            )
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, lapse)):
                    await self._changed.wait()

    async def _ask_to_release(self, holder: str) -> bool:
        """Ask the holder to let go; False when nobody reads its channel."""
        try:
            await self._layer.send(holder, {"type": "lease.release"})
        except ChannelFull:
            # Its worker died, and its lease lapses by itself.
            logger.info("lease holder is not reading its channel; waiting it out")
            return False
        return True

    async def _renew(self, on_lost: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(self._ttl_s / 3)
            kept = await database_sync_to_async(leases.renew_lease)(
                conversation_id=self.conversation_id,
                holder=self.channel_name,
                ttl_s=self._ttl_s,
            )
            if not kept:
                await on_lost()
                return
