"""The resumption handle a session would resume with: taken, reported, dropped.

The ledger decides whether a handle covers what Live answered; the keeper adds
what the ledger leaves out on purpose: the clock (when a handle was issued, when
it is too old), the report of a usable handle to persist, and the logs, which
name a handle only by its fingerprint.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from .events import HandleIssued, HandleUpdate
from .ledger import Ledger
from .protocol import SessionResumptionUpdate
from .reporter import Reporter
from .tokens import fingerprint

logger = logging.getLogger(__name__)


class HandleKeeper:
    """Keeps the ledger's newest handle while it is usable (`lifetime_s` at most)."""

    def __init__(self, ledger: Ledger, report: Reporter, lifetime_s: float) -> None:
        self._ledger = ledger
        self._report = report
        self._lifetime_s = lifetime_s

    async def update(self, event: SessionResumptionUpdate) -> bool:
        """Take the handle Live offers, if any, and report the update.

        Returns whether a usable handle arrived.
        """
        usable = False
        if event.resumable and event.new_handle:
            usable = await self._take(event.new_handle)
        await self._report.emit(HandleUpdate(event.resumable, usable))
        return usable

    def usable(self) -> str | None:
        """The handle to resume with, if there is one and it is not too old."""
        if self._ledger.handle_expired(datetime.now(UTC), self._lifetime_s):
            self.forget("too old")
        return self._ledger.handle.value if self._ledger.handle else None

    def forget(self, why: str) -> None:
        """Drop the handle: the next connection restores from the transcript."""
        handle = self._ledger.handle
        if handle is not None:
            logger.info(
                "dropping resumption handle %s (%s)", fingerprint(handle.value), why
            )
        self._ledger.forget_handle()

    async def _take(self, handle: str) -> bool:
        """Keep a new handle if it covers what was answered; returns whether kept."""
        issued_at = datetime.now(UTC)
        if not self._ledger.new_handle(handle, issued_at):
            # Issued before the seed was part of the session: it covers nothing.
            logger.debug("handle %s does not cover the seed yet", fingerprint(handle))
            return False
        logger.debug("new resumption handle %s", fingerprint(handle))
        await self._report.emit(HandleIssued(handle, issued_at))
        return True
