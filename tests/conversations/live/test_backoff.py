"""Backoff delays: immediate first retry, full jitter, a cap."""

from __future__ import annotations

import random

from conversations.live.backoff import Backoff


def test_first_retry_is_immediate():
    assert Backoff(0.5, 8.0).delay(1) == 0.0


def test_later_retries_stay_within_the_growing_ceiling():
    backoff = Backoff(0.5, 8.0, rng=random.Random(1))
    for attempt, ceiling in [(2, 0.5), (3, 1.0), (4, 2.0), (5, 4.0)]:
        delays = [backoff.delay(attempt) for _ in range(50)]
        assert all(0.0 <= delay <= ceiling for delay in delays)


def test_delays_never_exceed_the_cap():
    backoff = Backoff(0.5, 3.0, rng=random.Random(2))
    assert max(backoff.delay(30) for _ in range(100)) <= 3.0


def test_delays_are_jittered():
    backoff = Backoff(0.5, 8.0, rng=random.Random(3))
    assert len({backoff.delay(4) for _ in range(20)}) > 1


def test_a_cap_below_the_base_delay_wins():
    backoff = Backoff(0.5, 0.2, rng=random.Random(4))
    assert max(backoff.delay(3) for _ in range(50)) <= 0.2
