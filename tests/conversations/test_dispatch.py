"""A socket's messages reach its consumer one at a time, and without delay."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.exceptions import StopConsumer

from conversations.dispatch import IN_A_ROW, dispatch_in_turn


async def never() -> dict[str, Any]:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def queued(*messages: dict[str, Any]) -> asyncio.Queue[dict[str, Any]]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for message in messages:
        queue.put_nowait(message)
    return queue


async def test_waiting_messages_are_handled_without_waiting_for_the_loop():
    # Channels' await_many_dispatch takes three turns of the event loop per
    # message (151 for these 50): on a busy loop a talking user's frames pile up.
    # Here a socket gives the loop up once per IN_A_ROW messages.
    frames = queued(*({"n": n} for n in range(50)))
    handled: list[int] = []
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    async def dispatch(message: dict[str, Any]) -> None:
        handled.append(message["n"])
        if len(handled) == 50:
            raise StopConsumer

    counter = asyncio.create_task(count_turns())
    with pytest.raises(StopConsumer):
        await dispatch_in_turn([frames.get, never], dispatch)
    counter.cancel()
    assert handled == list(range(50))
    assert turns <= 50 // IN_A_ROW + 5, turns


async def test_two_sources_are_handled_one_message_at_a_time_in_order():
    browser = queued(*({"from": "browser", "n": n} for n in range(5)))
    layer = queued(*({"from": "layer", "n": n} for n in range(5)))
    busy = False
    seen: list[tuple[str, int]] = []

    async def dispatch(message: dict[str, Any]) -> None:
        nonlocal busy
        assert not busy, "two messages handled at once"
        busy = True
        await asyncio.sleep(0.001)  # a handler that waits for something
        seen.append((message["from"], message["n"]))
        busy = False
        if len(seen) == 10:
            raise StopConsumer

    with pytest.raises(StopConsumer):
        await dispatch_in_turn([browser.get, layer.get], dispatch)
    for source in ("browser", "layer"):
        assert [n for name, n in seen if name == source] == list(range(5))


async def test_a_failing_source_ends_it_and_stops_reading_the_other():
    reading_other = asyncio.Event()
    stopped_reading = asyncio.Event()

    async def failing() -> dict[str, Any]:
        await reading_other.wait()
        raise ConnectionError("the channel layer is gone")

    async def other() -> dict[str, Any]:
        reading_other.set()
        try:
            await asyncio.Event().wait()
        finally:
            stopped_reading.set()
        raise AssertionError("unreachable")

    async def dispatch(message: dict[str, Any]) -> None:
        raise AssertionError("nothing was received")

    with pytest.raises(ConnectionError):
        await dispatch_in_turn([failing, other], dispatch)
    assert stopped_reading.is_set()


async def test_a_read_that_misses_its_cancellation_does_not_hold_the_socket_open():
    # A Redis read under a read timeout could miss a cancellation that landed
    # as its reply arrived, and read on. The socket ends anyway, and the reader
    # at its next message.
    late_message = asyncio.Event()
    reads = 0

    async def deaf() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await late_message.wait()  # the cancellation is lost
        return {"n": "late"}

    async def dispatch(message: dict[str, Any]) -> None:
        raise StopConsumer

    with pytest.raises(StopConsumer):
        await asyncio.wait_for(dispatch_in_turn([deaf, queued({}).get], dispatch), 30)
    late_message.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert reads == 1, "a stopped reader read again"
