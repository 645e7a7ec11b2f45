"""What a session tells its listener, and the status it last told."""

from __future__ import annotations

import logging

from .events import (
    LiveListener,
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
