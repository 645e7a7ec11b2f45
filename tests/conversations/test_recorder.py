"""The run recorder: what explains each run, and what staff actions do to it."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from conversations import services
from conversations.models import RunEvent

from .sockets import open_socket, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def batches(monkeypatch):
    """Every batch the recorder writes (the real service still writes it)."""
    written: list[int] = []
    record = services.record_run_events

    def counting(**kwargs):
        written.append(len(kwargs["events"]))
        return record(**kwargs)

    monkeypatch.setattr(services, "record_run_events", counting)
    return written


@sync_to_async
def events_of(conversation) -> list[tuple[int | None, str, dict]]:
    rows = RunEvent.objects.filter(conversation=conversation).select_related("run")
    return [
        (event.run.run_id if event.run else None, event.kind, event.data)
        for event in rows.order_by("at", "pk")
    ]


async def started(conversation, user):
    socket, _ = await open_socket(conversation, user)
    await socket.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(socket, "session.created")
    return socket


async def say(socket, text: str) -> None:
    await socket.send_json_to({"type": "text", "text": text})
    await receive_until(socket, "turn.complete")


async def test_a_turn_is_recorded_in_one_write(
    conversation, user, live_settings, batches
):
    socket = await started(conversation, user)
    for n in range(3):
        await say(socket, f"turn {n}")
    await asyncio.sleep(0.2)
    assert len(batches) == 3  # one insert per answered turn
    await socket.disconnect()
    events = await events_of(conversation)
    kinds = [kind for _, kind, _ in events]
    assert kinds[0] == "setup"
    assert kinds.count("user_turn") == kinds.count("turn_complete") == 3
    assert kinds.count("usage") == 3
    assert kinds[-1] == "close"
    setup = events[0][2]
    assert setup["began"] == "new"
    assert setup["credential"] == "token"
    assert all(run == 0 for run, _, _ in events)


async def test_audio_is_counted_not_stored_and_costs_no_write_per_frame(
    user, live_settings, batches
):
    conversation = await sync_to_async(services.create_conversation)(
        owner=user, title="Voice", mode="voice"
    )
    socket = await started(conversation, user)
    loud, quiet = b"\x40\x1f\xc0\xe0" * 160, b"\x00\x00" * 320
    for frame in [loud] * 40 + [quiet] * 40:  # 0.8 s of speech, 0.8 s of silence
        await socket.send_to(bytes_data=frame)
    await receive_until(socket, "turn.complete", within_s=10)
    await socket.disconnect()
    events = await events_of(conversation)
    audio = [data for _, kind, data in events if kind == "audio"]
    assert sum(count["in_frames"] for count in audio) == 80
    assert sum(count["out_frames"] for count in audio) > 0
    assert audio[0]["in_seconds"] == pytest.approx(1.6, abs=0.01)
    assert len(batches) <= 2  # the turn, and the run's end


async def test_a_drop_ends_the_run_from_the_network_and_the_next_resumes(
    conversation, user, live_settings, emulator
):
    socket = await started(conversation, user)
    await say(socket, "before")
    emulator.inject_fault({"action": "drop"})
    await receive_until(socket, "session.created")
    await say(socket, "after")
    await socket.disconnect()
    events = await events_of(conversation)
    close = next(data for run, kind, data in events if kind == "close" and run == 0)
    assert (close["reason"], close["by"]) == ("network", "network")
    setup = next(data for run, kind, data in events if kind == "setup" and run == 1)
    assert setup["began"] == "resumed_with_handle"
    assert any(kind == "handle" and data["usable"] for _, kind, data in events)


async def test_a_goaway_rotation_is_closed_by_us_and_resumed(
    conversation, user, live_settings, emulator
):
    socket = await started(conversation, user)
    await say(socket, "one")
    emulator.inject_fault({"action": "goaway", "time_left_s": 1})
    await receive_until(socket, "session.created")
    await socket.disconnect()
    events = await events_of(conversation)
    goaway = next(data for run, kind, data in events if kind == "goaway")
    assert goaway["time_left_s"] == pytest.approx(1.0)
    close = next(data for run, kind, data in events if kind == "close" and run == 0)
    assert (close["reason"], close["by"]) == ("goaway", "client")


async def test_an_expired_handle_fails_an_attempt_and_restores_with_a_seed(
    conversation, user, live_settings, emulator
):
    socket = await started(conversation, user)
    await say(socket, "one")
    emulator.inject_fault({"action": "expire_handles"})
    emulator.inject_fault({"action": "drop"})
    await receive_until(socket, "context.restored")
    await say(socket, "two")
    await socket.disconnect()
    events = await events_of(conversation)
    failed = next(data for _, kind, data in events if kind == "attempt_failed")
    assert (failed["stage"], failed["code"]) == ("setup", 1008)
    restored = [
        data
        for _, kind, data in events
        if kind == "setup" and data["began"] == "restored_from_transcript"
    ]
    assert restored[0]["seed_items"] == 2


async def test_a_takeover_ends_the_run_as_a_device_switch(
    conversation, user, live_settings
):
    laptop = await started(conversation, user)
    phone, _ = await open_socket(conversation, user)
    await phone.send_json_to({"type": "hello", "last_seq": 0})
    await receive_until(phone, "presence")
    await phone.send_json_to({"type": "takeover"})
    await receive_until(phone, "session.created", within_s=8)
    await laptop.disconnect()
    await phone.disconnect()
    events = await events_of(conversation)
    close = next(data for run, kind, data in events if kind == "close" and run == 0)
    assert (close["reason"], close["by"]) == ("device_switch", "client")
    assert [d["began"] for r, k, d in events if k == "setup" and r == 1] == [
        "resumed_with_handle"
    ]


async def test_nothing_secret_is_recorded(conversation, user, live_settings):
    socket = await started(conversation, user)
    await say(socket, "one")
    await socket.disconnect()
    await sync_to_async(conversation.refresh_from_db)()
    handle = conversation.resumption_handle
    assert handle
    for _, _, data in await events_of(conversation):
        assert handle not in repr(data)
        assert "auth_tokens/" not in repr(data)


async def test_staff_ending_a_live_conversation_stops_it_without_reconnecting(
    conversation, user, live_settings
):
    socket = await started(conversation, user)
    await sync_to_async(services.end_conversation_for_owner)(conversation=conversation)
    status, _ = await receive_until(socket, "status")
    while status["status"] != "disconnected":
        status, _ = await receive_until(socket, "status")
    assert status["reason"] == "user"
    later = []
    while not await socket.receive_nothing(timeout=1):
        later.append(await socket.receive_output())
    assert not any('"session.created"' in str(frame) for frame in later)
    await socket.disconnect()


async def test_an_expired_handle_makes_the_next_connection_restore(
    conversation, user, live_settings, emulator
):
    socket = await started(conversation, user)
    await say(socket, "one")
    await sync_to_async(services.expire_resumption_handle)(conversation=conversation)
    await asyncio.sleep(0.2)
    emulator.inject_fault({"action": "drop"})
    created, _ = await receive_until(socket, "session.created")
    await receive_until(socket, "context.restored")
    await socket.disconnect()
    runs = await sync_to_async(list)(conversation.runs.values_list("began", flat=True))
    assert runs[created["run_id"]] == "restored_from_transcript"
