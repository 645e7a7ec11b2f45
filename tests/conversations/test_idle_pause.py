"""An idle conversation lets its upstream go, and its next input resumes it.

Idle: no input from the user (typed, spoken, or a microphone left open) and no
reply awaited or streaming, for CONVERSATION_IDLE_PAUSE_S seconds. Real sockets
through the ASGI app, against the Live emulator.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from conversations import selectors, services
from conversations.limits import IdleWatch
from conversations.models import Run, TranscriptItem

from .sockets import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pausing(live_settings):
    live_settings.CONVERSATION_IDLE_PAUSE_S = 1
    return live_settings


async def live(conversation, user):
    socket, connected = await open_socket(conversation, user)
    assert connected
    await socket.send_json_to({"type": "hello", "last_seq": 0})
    presence, _ = await receive_until(socket, "presence")
    assert presence["role"] == "owner"
    await receive_until(socket, "session.created")
    return socket


async def say(socket, text):
    await socket.send_json_to({"type": "text", "text": text})
    while True:
        item, seen = await receive_until(socket, "transcript.item", within_s=10)
        if item["role"] == "assistant":
            return item, seen


async def presence_as(socket, role):
    """The next presence that gives the socket `role`."""
    while True:
        presence, _ = await receive_until(socket, "presence")
        if presence["role"] == role:
            return presence


async def paused(socket, within_s=10.0):
    """Events up to the status that says the conversation paused."""
    events = []
    while True:
        message, seen = await receive_until(socket, "status", within_s=within_s)
        events += seen
        if message["status"] == "disconnected":
            assert message["reason"] == "idle"
            return events


async def test_an_idle_conversation_lets_its_upstream_go(conversation, user, pausing):
    socket = await live(conversation, user)
    await say(socket, "one")
    events = await paused(socket)
    assert {"disconnecting", "disconnected"} <= {
        e["status"] for e in events if e["type"] == "status" and e["reason"] == "idle"
    }
    assert [e for e in events if e["type"] == "error"] == []
    # Presence is told once the lease is given back.
    await receive_until(socket, "presence")
    assert await sync_to_async(selectors.held_upstreams)(owner_id=user.pk) == []
    run = await sync_to_async(Run.objects.get)(conversation=conversation, run_id=0)
    assert run.end_reason == Run.EndReason.IDLE
    await socket.disconnect()


async def test_the_paused_page_stays_the_owner(conversation, user, pausing):
    socket = await live(conversation, user)
    await paused(socket)
    presence, _ = await receive_until(socket, "presence")
    assert presence == {"type": "presence", "role": "owner", "live_elsewhere": False}
    await socket.disconnect()


async def test_the_next_typed_turn_resumes_with_the_handle(conversation, user, pausing):
    socket = await live(conversation, user)
    await say(socket, "one")
    await paused(socket)

    answer, seen = await say(socket, "two")

    created = [e for e in seen if e["type"] == "session.created"]
    assert [e["resumed"] for e in created] == [True]
    restored = [e for e in seen if e["type"] == "context.restored"]
    assert [e["source"] for e in restored] == ["handle"]
    assert answer["content"] == 'Turn 2. You said "two". You first said "one".'
    run = await sync_to_async(Run.objects.get)(conversation=conversation, run_id=1)
    assert run.began == Run.Began.RESUMED_WITH_HANDLE
    await socket.disconnect()


async def test_speech_resumes_a_paused_voice_conversation(user, pausing):
    voice = await sync_to_async(services.create_conversation)(
        owner=user, title="Voice", mode="voice"
    )
    socket = await live(voice, user)
    await paused(socket)
    await socket.send_to(bytes_data=b"\x00\x00" * 1600)
    created, _ = await receive_until(socket, "session.created")
    assert created["resumed"] is True
    await socket.disconnect()


async def test_a_paused_conversation_does_not_count_against_the_live_limit(
    conversation, user, pausing
):
    pausing.CONVERSATION_MAX_LIVE_PER_USER = 1
    first = await live(conversation, user)
    await paused(first)
    other = await sync_to_async(services.create_conversation)(
        owner=user, title="Other", mode="text"
    )
    second = await live(other, user)
    await first.disconnect()
    await second.disconnect()


async def test_input_past_the_live_limit_offers_to_continue_here_instead(
    conversation, user, pausing
):
    pausing.CONVERSATION_MAX_LIVE_PER_USER = 1
    first = await live(conversation, user)
    await paused(first)
    pausing.CONVERSATION_IDLE_PAUSE_S = 0  # the other one stays live
    other = await sync_to_async(services.create_conversation)(
        owner=user, title="Other", mode="text"
    )
    second = await live(other, user)

    await first.send_json_to({"type": "text", "id": "held-back", "text": "hello?"})

    presence = await presence_as(first, "viewer")
    assert presence["live_limit"] == 1
    stored = await sync_to_async(
        TranscriptItem.objects.filter(client_turn_id="held-back").exists
    )()
    assert not stored
    await first.disconnect()
    await second.disconnect()


async def test_another_tab_may_take_a_paused_conversation(conversation, user, pausing):
    first = await live(conversation, user)
    await paused(first)
    second = await live(conversation, user)
    await receive_until(first, "device.replaced")
    presence = await presence_as(first, "viewer")
    assert presence["live_elsewhere"] is True
    await first.disconnect()
    await second.disconnect()


async def test_ending_a_paused_conversation_says_it_ended(conversation, user, pausing):
    socket = await live(conversation, user)
    await paused(socket)
    await socket.send_json_to({"type": "end"})
    status, _ = await receive_until(socket, "status")
    assert status["status"] == "disconnected"
    assert status["reason"] == "user"
    await socket.disconnect()


async def test_a_turn_waiting_for_its_answer_is_not_idle(
    conversation, user, pausing, emulator
):
    socket = await live(conversation, user)
    # Live says nothing for longer than the idle time.
    emulator.inject_fault({"action": "stall", "seconds": 3})
    _, seen = await say(socket, "are you there?")
    assert [e for e in seen if e["type"] == "status"] == []
    await socket.disconnect()


async def test_an_open_microphone_is_not_idle(user, pausing):
    voice = await sync_to_async(services.create_conversation)(
        owner=user, title="Voice", mode="voice"
    )
    socket = await live(voice, user)
    await socket.send_to(bytes_data=b"\x00\x00" * 1600)
    await asyncio.sleep(3)  # three times the idle time
    held = await sync_to_async(selectors.held_upstreams)(owner_id=user.pk)
    assert [upstream.conversation_id for upstream in held] == [voice.pk]
    assert not await sync_to_async(Run.objects.filter(ended_at__isnull=False).exists)()
    await socket.disconnect()


# -- the watch on its own ---------------------------------------------------------
async def test_the_watch_calls_once_the_conversation_is_idle_long_enough():
    calls = []

    async def pause():
        calls.append("paused")
        return True

    watch = IdleWatch(after_s=0.05, idle_for=lambda: 1.0, on_idle=pause)
    watch.start()
    await asyncio.sleep(0.3)
    assert calls == ["paused"]


async def test_the_watch_never_calls_while_busy():
    calls = []

    async def pause():
        calls.append("paused")
        return True

    watch = IdleWatch(after_s=0.05, idle_for=lambda: None, on_idle=pause)
    watch.start()
    await asyncio.sleep(0.3)
    watch.stop()
    assert calls == []


async def test_the_watch_goes_on_when_the_pause_did_not_happen():
    calls = []

    async def pause():
        calls.append("tried")
        return len(calls) == 2

    watch = IdleWatch(after_s=0.05, idle_for=lambda: 1.0, on_idle=pause)
    watch.start()
    await asyncio.sleep(0.4)
    assert calls == ["tried", "tried"]


async def test_no_idle_time_means_no_watch():
    watch = IdleWatch(after_s=0, idle_for=lambda: 1.0, on_idle=None)
    watch.start()
    assert watch._task is None
