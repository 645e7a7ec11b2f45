"""What one user may cost: live upstreams at once, idle upstreams, turn rates.

* At most ``CONVERSATION_MAX_LIVE_PER_USER`` upstream Live sessions per user, on
  every worker: a socket holds one while it holds its conversation's lease, so
  the leases in the database are the count (`LimitedOwnership`). Past the limit,
  continuing here first asks the user's other sockets, least recently active
  first, to pause if they are idle (`make_room`): no typed turn waiting for its
  answer, no reply streaming, no microphone open.
* A conversation idle for
  ``CONVERSATION_IDLE_PAUSE_S`` lets its upstream go (`IdleWatch`); its next
  input resumes it with its handle.
* Typed turns and new conversations per user, counted in the shared cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from django.conf import settings

from . import ratelimit, selectors, services
from .ownership import Ownership

logger = logging.getLogger(__name__)

# How long an asked socket has to answer whether it paused; one that says
# nothing (its worker died) is skipped, and its lease lapses by itself.
PAUSE_ANSWER_S = 10.0


class LimitedOwnership(Ownership):
    """A socket's claim on its conversation, within its owner's live limit."""

    def __init__(
        self, *, owner_id: int, limit: int, ttl_s: float, **kwargs: Any
    ) -> None:
        super().__init__(ttl_s=ttl_s, **kwargs)
        self.owner_id = owner_id
        self.limit = limit
        self.lease_ttl_s = ttl_s
        self.over_limit = False  # the last claim failed on the limit

    async def acquire(self) -> bool:
        """Take the lease if it is free, lapsed or ours, and the limit allows."""
        claim = await database_sync_to_async(services.claim_upstream)(
            owner_id=self.owner_id,
            conversation_id=self.conversation_id,
            holder=self.channel_name,
            ttl_s=self.lease_ttl_s,
            limit=self.limit,
        )
        self.over_limit = claim is services.Claim.OVER_LIMIT
        return claim is services.Claim.TAKEN


class PauseRequests:
    """Ask another socket to pause its idle upstream, and wait for its answer."""

    ASK = "upstream.pause_if_idle"
    ANSWER = "upstream.pause_answer"

    def __init__(self, layer: Any, channel_name: str) -> None:
        self._layer = layer
        self._channel_name = channel_name
        self._waiting: dict[str, asyncio.Future[bool]] = {}

    async def ask(self, holder: str) -> bool:
        """Whether the socket on `holder` paused; False if it is busy or silent."""
        token = uuid.uuid4().hex
        answer = asyncio.get_running_loop().create_future()
        self._waiting[token] = answer
        try:
            await self._layer.send(
                holder,
                {"type": self.ASK, "reply_to": self._channel_name, "token": token},
            )
            async with asyncio.timeout(PAUSE_ANSWER_S):
                return await answer
        except (ChannelFull, TimeoutError):
            return False
        finally:
            self._waiting.pop(token, None)

    def answered(self, message: dict[str, Any]) -> None:
        answer = self._waiting.get(str(message.get("token")))
        if answer is not None and not answer.done():
            answer.set_result(bool(message.get("paused")))

    async def answer(self, message: dict[str, Any], paused: bool) -> None:
        with contextlib.suppress(ChannelFull):
            await self._layer.send(
                message["reply_to"],
                {"type": self.ANSWER, "token": message["token"], "paused": paused},
            )


async def make_room(*, ownership: LimitedOwnership, requests: PauseRequests) -> bool:
    """Bring the owner under the live limit for this conversation; False if all busy.

    The user's other live conversations are asked in order, least recently
    active first, to pause if idle, until one slot is free.
    """
    holder = await ownership.holder()
    if holder and holder != ownership.channel_name:
        return True  # taking this conversation over adds no upstream
    held = await database_sync_to_async(selectors.held_upstreams)(
        owner_id=ownership.owner_id, excluding=ownership.conversation_id
    )
    to_free = len(held) - ownership.limit + 1
    for upstream in held:
        if to_free <= 0:
            break
        if await requests.ask(upstream.holder):
            to_free -= 1
    return to_free <= 0


class IdleWatch:
    """Calls `on_idle` once `idle_for()` (None while busy) reaches `after_s`.

    `on_idle` returns whether it paused; if not, the watch goes on.
    """

    def __init__(
        self,
        *,
        after_s: float,
        idle_for: Callable[[], float | None],
        on_idle: Callable[[], Awaitable[bool]],
    ) -> None:
        self.after_s = after_s
        self._idle_for = idle_for
        self._on_idle = on_idle
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.stop()
        if self.after_s > 0:
            self._task = asyncio.create_task(self._watch())

    def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    async def _watch(self) -> None:
        while True:
            idle = self._idle_for()
            if idle is not None and idle >= self.after_s:
                try:
                    if await self._on_idle():
                        return
                except Exception:
                    logger.exception("pausing an idle conversation failed")
                idle = self._idle_for()
            if idle is None or idle >= self.after_s:
                # Busy, or the pause did not happen: a whole period later.
                await asyncio.sleep(self.after_s)
            else:
                await asyncio.sleep(self.after_s - idle)


async def allow_turn(user_id: int) -> bool:
    """Count a typed turn of the user, over all sockets and workers."""
    rate = ratelimit.Rate.parse(settings.CONVERSATION_TURN_RATE)
    return await sync_to_async(ratelimit.allow)("turn", user_id=user_id, rate=rate)


def allow_create(user_id: int) -> bool:
    """Count a new conversation of the user."""
    rate = ratelimit.Rate.parse(settings.CONVERSATION_CREATE_RATE)
    return ratelimit.allow("create", user_id=user_id, rate=rate)


def turn_rate_message() -> str:
    rate = ratelimit.Rate.parse(settings.CONVERSATION_TURN_RATE)
    return (
        f"You can send at most {rate.describe('messages')}. "
        "Wait a moment, then send it again."
    )


def create_rate_message() -> str:
    rate = ratelimit.Rate.parse(settings.CONVERSATION_CREATE_RATE)
    return (
        f"You can start at most {rate.describe('conversations')}. "
        "Carry on in one you have, or try again later."
    )


def all_busy_message(limit: int) -> str:
    if limit == 1:
        return (
            "Your live conversation is in use. End it, or wait until it is "
            "quiet, then try again."
        )
    return (
        f"All {limit} of your live conversations are in use. End one, or wait "
        "until one is quiet, then try again."
    )
