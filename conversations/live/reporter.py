"""What a session tells its listener, and the status it last told."""

from __future__ import annotations

import logging

from .attempts import Ended
from .events import (
    AttemptFailed,
    Began,
    ContextRestored,
    ContextSource,
    LiveListener,
    RunClosed,
    RunOpened,
    SessionEvent,
    SessionWarning,
    Status,
    StatusChanged,
    StopReason,
    WarningKind,
)

logger = logging.getLogger(__name__)


class Reporter:
    """Sends a session's events to its listener; a failing listener stops nothing.

    `run_id` is the run the next status belongs to: the page and the database
    ignore an older run's status once a newer run exists.
    """

    def __init__(self, listener: LiveListener) -> None:
        self._listener = listener
        self.status: Status | None = None
        self.run_id: int | None = None

    async def emit(self, event: SessionEvent) -> None:
        try:
            await self._listener.on_event(event)
        except Exception:
            logger.exception("listener failed on %s", type(event).__name__)

    async def status_changed(
        self,
        status: Status,
        *,
        attempt: int | None = None,
        retry_in_ms: int | None = None,
        reason: StopReason | None = None,
    ) -> None:
        """Report `status`, unless it repeats a steady one (connecting, connected)."""
        if status == self.status and status in (Status.CONNECTING, Status.CONNECTED):
            return
        self.status = status
        await self.emit(
            StatusChanged(status, self.run_id, attempt, retry_in_ms, reason)
        )

    async def warn(self, kind: WarningKind, detail: str) -> None:
        await self.emit(SessionWarning(kind, detail))

    async def attempt_failed(self, attempt: int, ended: Ended) -> None:
        """Attempt number `attempt` in a row failed before a run opened."""
        await self.emit(
            AttemptFailed(attempt, ended.stage, ended.code, ended.close_reason)
        )

    async def run_opened(self, run_id: int, began: Began, seed_items: int) -> None:
        """A connection is set up: `run_id` is the run statuses belong to now."""
        self.run_id = run_id
        # The listener records the run before it tells anyone the session is up.
        await self.emit(RunOpened(run_id, began, seed_items))
        await self.status_changed(Status.CONNECTED)

    async def context_restored(self, began: Began, *, quiet: bool) -> None:
        """Say where a run's context came from, unless it began a new Live session.

        `quiet`: the run follows a planned rotation, so resuming is no news.
        """
        if began == Began.RESUMED_WITH_HANDLE:
            if not quiet:
                await self.emit(ContextRestored(ContextSource.HANDLE))
        elif began == Began.RESTORED_FROM_TRANSCRIPT:
            await self.emit(ContextRestored(ContextSource.TRANSCRIPT))

    async def run_closed(self, run_id: int, ended: Ended) -> None:
        await self.emit(
            RunClosed(run_id, ended.reason, ended.code, ended.close_reason, ended.by)
        )
        logger.info(
            "Live run %s ended: %s (%s %s)",
            run_id,
            ended.reason,
            ended.code,
            ended.close_reason,
        )
