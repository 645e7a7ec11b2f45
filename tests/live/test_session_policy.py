"""Reconnect policy pieces: backoff delays and the close-code table."""

from __future__ import annotations

import random

import pytest

from conversations.live.backoff import Backoff
from conversations.live.closecodes import CloseAction, classify_close


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


@pytest.mark.parametrize(
    ("code", "reason", "action"),
    [
        (None, "", CloseAction.RETRY),
        (1000, "", CloseAction.ROTATE),
        (1001, "going away", CloseAction.ROTATE),
        (1006, "", CloseAction.RETRY),
        (1011, "Deadline expired before operation could complete.", CloseAction.RETRY),
        (1011, "The service is currently unavailable.", CloseAction.RETRY),
        (1012, "", CloseAction.RETRY),
        (1013, "", CloseAction.RETRY),
        (1014, "", CloseAction.RETRY),
        (1007, "API key not valid. Please pass a valid API key.", CloseAction.FATAL),
        (1008, "models/x is not found for API version v1beta", CloseAction.FATAL),
        (1008, "Requested entity was not found.", CloseAction.FATAL),
        (1009, "", CloseAction.FATAL),
        (4003, "", CloseAction.FATAL),
    ],
)
def test_close_table_for_a_new_session(code, reason, action):
    assert classify_close(code, reason, resumed=False) is action


def test_refused_handle_restores_from_transcript():
    action = classify_close(1008, "Requested entity was not found.", resumed=True)
    assert action is CloseAction.RESTORE


def test_invalid_argument_after_a_resume_restores_from_transcript():
    action = classify_close(1007, "Request contains an invalid argument.", resumed=True)
    assert action is CloseAction.RESTORE


def test_auth_failure_during_a_resume_stays_fatal():
    reason = "Method doesn't allow unregistered callers (callers without identity)."
    assert classify_close(1008, reason, resumed=True) is CloseAction.FATAL


def test_a_cap_below_the_base_delay_wins():
    backoff = Backoff(0.5, 0.2, rng=random.Random(4))
    assert max(backoff.delay(3) for _ in range(50)) <= 0.2
