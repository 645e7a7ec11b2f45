"""Reconnect delays: exponential backoff, full jitter, a cap, an immediate retry."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol


class RetryDelays(Protocol):
    """A reconnect policy: how long to wait before retry number `attempt`."""

    def delay(self, attempt: int) -> float: ...


@dataclass
class Backoff:
    """Delay before retry number `attempt` (1-based).

    The first retry is immediate (most drops are one-off); retry n waits a uniformly
    random time in [0, min(max_delay_s, base_delay_s * 2**(n-2))], so that many clients
    cut at once do not come back in lockstep.
    """

    base_delay_s: float
    max_delay_s: float
    rng: random.Random = field(default_factory=random.Random)

    def ceiling(self, attempt: int) -> float:
        """Return the largest delay retry `attempt` may wait."""
        if attempt <= 1:
            return 0.0
        growth: float = self.base_delay_s * 2.0 ** (attempt - 2)
        return min(self.max_delay_s, growth)

    def delay(self, attempt: int) -> float:
        """Return the delay before retry `attempt`."""
        ceiling = self.ceiling(attempt)
        return self.rng.uniform(0.0, ceiling) if ceiling > 0 else 0.0
