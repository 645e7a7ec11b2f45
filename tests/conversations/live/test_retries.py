"""Reconnect attempts in a row: the wait before each retry, and when to give up."""

from __future__ import annotations

from conversations.live.retries import Retries


class ScriptedDelays:
    """A reconnect policy that waits a tenth of a second per retry, and notes each."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def delay(self, attempt: int) -> float:
        self.asked.append(attempt)
        return attempt / 10


def test_a_fresh_count_has_nothing_to_wait_for():
    retries = Retries(3, ScriptedDelays())
    assert retries.failures == 0
    assert not retries.exhausted


def test_gives_up_only_once_the_last_retry_failed_too():
    retries = Retries(3, ScriptedDelays())
    retries.failed()  # the connection itself
    for _ in range(3):
        assert not retries.exhausted
        retries.failed()
    assert retries.exhausted


def test_each_retry_waits_as_the_policy_says_for_its_number():
    delays = ScriptedDelays()
    retries = Retries(6, delays)
    waits = []
    for _ in range(3):
        retries.failed()
        waits.append(retries.delay())
    assert delays.asked == [1, 2, 3]
    assert waits == [0.1, 0.2, 0.3]


def test_a_reset_starts_the_count_over():
    retries = Retries(2, ScriptedDelays())
    for _ in range(3):
        retries.failed()
    assert retries.exhausted
    retries.reset()
    assert retries.failures == 0
    assert not retries.exhausted
