"""One connection attempt: open it with a fresh credential, and tell how it ended."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import httpx

from . import protocol
from .client import NO_CLOSE_FRAME, ConnectFailed, LiveConnection, open_connection
from .closecodes import CloseAction, classify_close
from .config import LiveConfig
from .events import Began, EndReason, StopReason, TurnId

logger = logging.getLogger(__name__)

# The history to seed a new Live session with, leaving out the given turns (the
# session sends those itself), as (role, text) pairs.
SeedProvider = Callable[[list[TurnId]], Awaitable[Sequence[tuple[str, str]]]]


@dataclass(frozen=True)
class Attempt:
    """A connection that is set up, and how it began."""

    connection: LiveConnection
    began: Began
    seed: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Ended:
    """How one connection (or attempt) ended and what to do next.

    `by`: who closed it (`client`, `server`, `network`); `stage`: for an attempt
    that failed before a run, where it failed.
    """

    reason: EndReason
    action: CloseAction | None  # None: the caller closed it
    code: int | None
    close_reason: str
    by: str = "server"
    stage: str = ""

    @property
    def rotated(self) -> bool:
        """The session closed it after `goAway`, as planned: not a failure."""
        return self.action is CloseAction.ROTATE and self.reason == EndReason.GOAWAY


async def open_next(
    config: LiveConfig,
    http: httpx.AsyncClient,
    *,
    handle: str | None,
    seed_provider: SeedProvider | None,
    unanswered: list[TurnId],
) -> Attempt | Ended:
    """Resume with `handle`, or open a new Live session seeded with the history.

    Never a handle and history together: a resumed session has its context.
    """
    if handle is not None:
        return await open_attempt(
            config, http, handle=handle, began=Began.RESUMED_WITH_HANDLE, seed=()
        )
    seed: Sequence[tuple[str, str]] = ()
    if seed_provider is not None:
        try:
            seed = list(await seed_provider(unanswered))
            protocol.build_history(seed)  # validates the roles
        except Exception as exc:
            logger.exception("seed provider failed")
            return Ended(EndReason.ERROR, CloseAction.RETRY, None, str(exc)[:120])
    began = Began.RESTORED_FROM_TRANSCRIPT if seed else Began.NEW
    return await open_attempt(config, http, handle=None, began=began, seed=seed)


async def open_attempt(
    config: LiveConfig,
    http: httpx.AsyncClient,
    *,
    handle: str | None,
    began: Began,
    seed: Sequence[tuple[str, str]],
) -> Attempt | Ended:
    """Open one connection, resuming with `handle` when given."""
    try:
        connection = await open_connection(config, http, config.setup_message(handle))
    except ConnectFailed as exc:
        logger.warning("Live connection attempt failed: %s", exc)
        if exc.code is not None:
            action = classify_close(exc.code, exc.reason, resumed=handle is not None)
        else:
            action = CloseAction.RETRY if exc.retryable else CloseAction.FATAL
        by = "server" if exc.code is not None else "network"
        return Ended(EndReason.ERROR, action, exc.code, exc.reason, by, exc.stage)
    return Attempt(connection, began, seed)


def how_it_ended(
    connection: LiveConnection,
    *,
    began: Began,
    ending: EndReason | None,
    stop_reason: StopReason,
    goaway_announced: bool,
) -> Ended:
    """Why a served connection closed: `ending` is what the session itself did."""
    code, reason = connection.close_code, connection.close_reason
    if ending == EndReason.USER:
        return Ended(EndReason(stop_reason), None, code, reason, "client")
    if ending == EndReason.GOAWAY:
        return Ended(EndReason.GOAWAY, CloseAction.ROTATE, code, reason, "client")
    if connection.stalled:
        return Ended(EndReason.NETWORK, CloseAction.RETRY, code, reason, "client")
    if connection.malformed is not None:
        return Ended(EndReason.ERROR, CloseAction.RETRY, code, reason, "client")
    by = "network" if code is None or code == NO_CLOSE_FRAME else "server"
    action = classify_close(code, reason, resumed=began == Began.RESUMED_WITH_HANDLE)
    if action is CloseAction.RESTORE:
        return Ended(EndReason.HANDLE_EXPIRED, action, code, reason, by)
    if action is CloseAction.FATAL:
        return Ended(EndReason.ERROR, action, code, reason, by)
    if goaway_announced:
        return Ended(EndReason.GOAWAY, CloseAction.RETRY, code, reason, by)
    return Ended(EndReason.NETWORK, CloseAction.RETRY, code, reason, by)
