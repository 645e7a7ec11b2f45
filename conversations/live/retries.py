"""Reconnect attempts in a row: how long to wait before the next, when to give up.

An attempt fails when it does not open, or when its connection dies before doing
anything. A connection that answered a turn or issued a handle shows Live is
working, so whatever drops it is bad luck and the count starts over. A planned
rotation counts as neither.
"""

from __future__ import annotations

from .backoff import RetryDelays


class Retries:
    """The failed attempts in a row, bounded by `max_attempts`, paced by `delays`."""

    def __init__(self, max_attempts: int, delays: RetryDelays) -> None:
        self._max_attempts = max_attempts
        self._delays = delays
        self.failures = 0

    @property
    def exhausted(self) -> bool:
        """Retry number `max_attempts` failed too: time to give up."""
        return self.failures > self._max_attempts

    def delay(self) -> float:
        """Seconds to wait before retry number `failures`."""
        return self._delays.delay(self.failures)

    def failed(self) -> None:
        self.failures += 1

    def reset(self) -> None:
        """Start counting again: Live did something, or the session starts over."""
        self.failures = 0
