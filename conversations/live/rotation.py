"""Deadlines a Live connection lives under: a `goAway`, and the session's cap."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from .client import LiveConnection
from .config import LiveConfig
from .events import EndReason
from .timers import OneShot
from .uplink import Uplink

logger = logging.getLogger(__name__)


class GoAwayRotation:
    """After `goAway`, rotate at the next turn boundary or at the deadline.

    The deadline is `timeLeft - margin`, so the old connection is closed (and a
    new one opened) before Live cuts it, and a reply is never cut in the middle
    unless the deadline comes first.
    """

    def __init__(self, margin_s: float, uplink: Uplink) -> None:
        self._margin_s = margin_s
        self._uplink = uplink
        self._deadline = OneShot()

    @property
    def announced(self) -> bool:
        """Live said `goAway` to the current connection."""
        return self._deadline.scheduled

    def announce(self, connection: LiveConnection, time_left_s: float | None) -> None:
        if self._deadline.scheduled:
            return
        lead = max(0.0, (time_left_s or 0.0) - self._margin_s)
        logger.info("goAway: rotating within %.1f s", lead)
        self._deadline.start(lead, lambda: self._rotate(connection))

    async def at_turn_boundary(self, connection: LiveConnection, idle: bool) -> None:
        """Rotate now if `goAway` came and nothing is in flight (`idle`)."""
        if self._deadline.scheduled and idle:
            await self._rotate(connection)

    def cancel(self) -> None:
        self._deadline.cancel()

    async def _rotate(self, connection: LiveConnection) -> None:
        # Only the connection told `goAway` rotates, never one opened since.
        if self._uplink.connection is connection:
            await self._uplink.close(EndReason.GOAWAY, 1000, "rotating after goAway")


class SessionCapWarning:
    """Warns ahead of Live's session cap, which only context compression lifts."""

    def __init__(
        self, config: LiveConfig, warn: Callable[[str], Awaitable[None]]
    ) -> None:
        self._config = config
        self._warn = warn
        self._timer = OneShot()

    def start(self) -> None:
        """A new Live session began: its cap counts from now."""
        self._timer.cancel()
        if self._config.compression is not None:
            return
        lead = self._config.session_cap_s - self._config.cap_warning_lead_s
        self._timer.start(lead, self._fire)

    def cancel(self) -> None:
        self._timer.cancel()

    async def _fire(self) -> None:
        cap = self._config.session_cap_s
        left = min(self._config.cap_warning_lead_s, cap)
        await self._warn(
            f"the Live session reaches its {cap:g} s cap in about {left:g} s "
            "(context compression is off)"
        )
