"""Rate limits: a socket's own token bucket, and per-user limits shared by workers.

A socket that floods is slowed by its `TokenBucket`. What one user may do over
every socket and worker (typed turns, new conversations) is counted in the cache,
which is Redis whenever `REDIS_URL` is set, so reconnecting does not reset it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)

PERIODS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PER = {1: "a second", 60: "a minute", 3600: "an hour", 86400: "a day"}


class TokenBucket:
    """Allow ``rate`` events per second on average, bursts up to ``burst``."""

    def __init__(
        self,
        rate: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._updated = clock()

    def allow(self) -> bool:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


@dataclass(frozen=True)
class Rate:
    """At most `count` events in any `period_s` seconds."""

    count: int
    period_s: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """``"30/m"`` → 30 a minute (the settings validate the form)."""
        count, _, period = text.partition("/")
        return cls(int(count), PERIODS_S[period])

    def describe(self, nouns: str) -> str:
        """``30 messages a minute`` (``1 message a minute``)."""
        noun = nouns.removesuffix("s") if self.count == 1 else nouns
        return f"{self.count} {noun} {PER[self.period_s]}"


def allow(
    action: str,
    *,
    user_id: int,
    rate: Rate,
    now: Callable[[], float] = time.time,
) -> bool:
    """Count one `action` of the user against `rate`; False (not counted) past it.

    A sliding window: the previous window's count, weighted by how much of it
    still overlaps the last `period_s` seconds, plus the current window's. A
    burst across a window boundary gets no second allowance.
    """
    at = now()
    window = int(at // rate.period_s)
    overlap = 1 - (at % rate.period_s) / rate.period_s
    key = f"rate:{action}:{user_id}:{{}}"
    current = key.format(window)
    try:
        cache.add(current, 0, timeout=2 * rate.period_s)
        count = cache.incr(current)
        before = cache.get(key.format(window - 1), 0)
        if before * overlap + count <= rate.count:
            return True
        cache.decr(current)
    except Exception as error:
        # A cache outage must not stop every user: the socket's own bucket
        # still holds a flood back.
        logger.warning("rate limit for %s not counted: %s", action, error)
        return True
    return False
