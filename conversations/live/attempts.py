"""One connection attempt: open it with a fresh credential, and tell how it ended."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from .client import ConnectFailed, LiveConnection, open_connection
from .closecodes import CloseAction, classify_close
from .config import LiveConfig
from .events import Began, EndReason, StopReason

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attempt:
    """A connection that is set up, and how it began."""

    connection: LiveConnection
    began: Began
    seed: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Ended:
    """How one connection (or attempt) ended and what to do next."""

    reason: EndReason
    action: CloseAction | None  # None: the caller closed it
    code: int | None
    close_reason: str


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
        return Ended(EndReason.ERROR, action, exc.code, exc.reason)
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
        return Ended(EndReason(stop_reason), None, code, reason)
    if ending == EndReason.GOAWAY:
        return Ended(EndReason.GOAWAY, CloseAction.ROTATE, code, reason)
    if connection.stalled:
        return Ended(EndReason.NETWORK, CloseAction.RETRY, code, reason)
    if connection.malformed is not None:
        return Ended(EndReason.ERROR, CloseAction.RETRY, code, reason)
    action = classify_close(code, reason, resumed=began == Began.RESUMED_WITH_HANDLE)
    if action is CloseAction.RESTORE:
        return Ended(EndReason.HANDLE_EXPIRED, action, code, reason)
    if action is CloseAction.FATAL:
        return Ended(EndReason.ERROR, action, code, reason)
    if goaway_announced:
        return Ended(EndReason.GOAWAY, CloseAction.RETRY, code, reason)
    return Ended(EndReason.NETWORK, CloseAction.RETRY, code, reason)
