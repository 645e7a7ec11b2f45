"""A flooding socket is throttled; a steady one is not."""

from conversations.ratelimit import TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_is_allowed_then_refused():
    bucket = TokenBucket(rate=10, burst=3, clock=FakeClock())
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]


def test_tokens_come_back_with_time():
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=1, clock=clock)
    assert bucket.allow()
    assert not bucket.allow()
    clock.now += 0.1
    assert bucket.allow()
