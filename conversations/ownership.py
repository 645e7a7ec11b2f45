"""Which socket holds a conversation's one upstream Live session, and moving it.

The holder keeps a lease in the database (`leases`) and renews it while it lives;
a worker killed with its sockets stops renewing, so its lease lapses. One
`LeaseKeeper` per worker renews the leases of all its sockets with one statement
per beat, so keeping a lease costs nothing per socket.

Taking over is event-driven: the taker asks the holder to let go (`lease.release`
on the holder's channel); the holder stops its relay, releases the lease and tells
every socket of the conversation (`presence.changed`), which wakes the taker. A
holder that never answers (its worker died) is waited out until its lease lapses.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
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
        LeaseKeeper.of_this_worker(self._ttl_s).keep(self.channel_name, on_lost)

    def stop_keeping(self) -> None:
        LeaseKeeper.of_this_worker(self._ttl_s).stop(self.channel_name)

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
        lapsed = False
        while True:
            self._changed.clear()
            if await self.acquire():
                if holder and (lapsed or not answered):
                    # Its worker died: nothing reads that channel any more, and
                    # every message to the conversation would still go to it.
                    await self._layer.group_discard(self.group, holder)
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            lapse = await database_sync_to_async(leases.lease_expires_in)(
                conversation_id=self.conversation_id
            )
            try:
                async with asyncio.timeout(min(remaining, lapse)):
                    await self._changed.wait()
            except TimeoutError:
                # The holder never let go and its lease ran out.
                lapsed = 0 < lapse <= remaining

    async def _ask_to_release(self, holder: str) -> bool:
        """Ask the holder to let go; False when nobody reads its channel."""
        try:
            await self._layer.send(holder, {"type": "lease.release"})
        except ChannelFull:
            # Its worker died, and its lease lapses by itself.
            logger.info("lease holder is not reading its channel; waiting it out")
            return False
        return True


class LeaseKeeper:
    """Renews the leases of one worker's sockets, all in one statement a beat.

    A beat comes every third of the lease's lifetime, so a lease survives two
    missed beats (a busy worker) and lapses soon after its worker dies.
    """

    _workers: weakref.WeakKeyDictionary[
        asyncio.AbstractEventLoop, dict[float, LeaseKeeper]
    ] = weakref.WeakKeyDictionary()

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._held: dict[str, Callable[[], Awaitable[None]]] = {}
        self._beat: asyncio.Task[None] | None = None
        self._handing_over: set[asyncio.Task[None]] = set()

    @classmethod
    def of_this_worker(cls, ttl_s: float) -> LeaseKeeper:
        """The keeper of the running event loop (one per worker, or per test)."""
        keepers = cls._workers.setdefault(asyncio.get_running_loop(), {})
        if ttl_s not in keepers:
            keepers[ttl_s] = cls(ttl_s)
        return keepers[ttl_s]

    def keep(self, holder: str, on_lost: Callable[[], Awaitable[None]]) -> None:
        self._held[holder] = on_lost
        if self._beat is None or self._beat.done():
            self._beat = asyncio.create_task(self._renew_while_held())

    def stop(self, holder: str) -> None:
        self._held.pop(holder, None)

    async def _renew_while_held(self) -> None:
        while self._held:
            await asyncio.sleep(self._ttl_s / 3)
            held = list(self._held)
            try:
                kept = await database_sync_to_async(leases.renew_leases)(
                    holders=held, ttl_s=self._ttl_s
                )
            except Exception:
                # A failed beat is retried at the next one; the TTL allows two.
                logger.exception("lease renewal failed")
                continue
            for holder in held:
                if holder not in kept and holder in self._held:
                    self._hand_over(self._held.pop(holder))

    def _hand_over(self, on_lost: Callable[[], Awaitable[None]]) -> None:
        """Let a socket that lost its lease step down, apart from the beat."""

        async def step_down() -> None:
            try:
                await on_lost()
            except Exception:
                logger.exception("stepping down after a lost lease failed")

        task = asyncio.create_task(step_down())
        self._handing_over.add(task)
        task.add_done_callback(self._handing_over.discard)
