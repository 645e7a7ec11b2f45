"""LiveSession against the emulator over real sockets: every resumption rule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from conversations.live import LiveSession, ModelText, SessionClosed
from conversations.live.emulator import EmulatorConfig, LiveEmulator

from .recorder import newest_session
from .talking import TalkingSession


@pytest.fixture
async def conversation(emulator):
    conversation = TalkingSession(emulator)
    yield conversation
    if conversation.session is not None:
        await conversation.session.close()


async def test_first_connection_reports_connecting_then_connected(conversation):
    await conversation.start(first_run_id=7)
    assert conversation.recorder.status_names == ["connecting", "connected"]
    assert conversation.recorder.connections == [(7, "new")]


async def test_turns_survive_a_network_drop(conversation, emulator):
    await conversation.start()
    await conversation.talk("one", "two")
    emulator.inject_fault({"action": "drop"})
    await conversation.talk("three", "four")
    recorder = conversation.recorder
    assert [began for _, began in recorder.connections] == [
        "new",
        "resumed_with_handle",
    ]
    assert recorder.closed[0][1]["reason"] == "network"
    assert recorder.restored == ["handle"]
    conversation.assert_each_turn_once()


async def test_a_turn_sent_during_the_drop_reaches_live_exactly_once(
    conversation, emulator
):
    await conversation.start()
    await conversation.talk("one")
    emulator.inject_fault({"action": "drop"})
    await conversation.say("sent into the gap")
    await conversation.settle()
    conversation.assert_each_turn_once()


async def test_a_reconnect_never_reuses_a_token(conversation, emulator):
    await conversation.start()
    await conversation.talk("one")
    emulator.inject_fault({"action": "drop"})
    await conversation.talk("two")
    emulator.inject_fault({"action": "close", "code": 1011, "reason": "Internal"})
    await conversation.talk("three")
    tokens = emulator.snapshot()["tokens"]
    assert tokens["refused"] == 0
    assert (
        tokens["minted"] == tokens["accepted"] == len(conversation.recorder.connections)
    )
    assert len(conversation.recorder.connections) == 3


async def test_only_resumable_handles_are_kept(conversation, emulator):
    await conversation.start()
    await conversation.talk("one", "two")
    handles = conversation.recorder.handles
    # The emulator also announces `resumable: false` with no handle at each reply.
    assert all(handles)
    assert len(set(handles)) == len(handles)
    emulator.inject_fault({"action": "drop"})
    await conversation.talk("three")
    assert conversation.recorder.connections[-1][1] == "resumed_with_handle"
    conversation.assert_each_turn_once()


async def test_goaway_rotates_before_the_deadline_without_losing_a_turn(
    conversation, emulator
):
    await conversation.start()
    await conversation.talk("one")
    emulator.inject_fault({"action": "goaway", "time_left_s": 3})
    await conversation.recorder.wait_for(
        lambda: len(conversation.recorder.connections) == 2
    )
    await conversation.talk("two")
    recorder = conversation.recorder
    run_id, closed = recorder.closed[0]
    assert (run_id, closed["reason"], closed["code"]) == (0, "goaway", 1000)
    assert recorder.connections[1] == (1, "resumed_with_handle")
    assert "reconnecting" not in recorder.status_names
    assert recorder.restored == []  # a planned rotation is invisible
    conversation.assert_each_turn_once()


async def test_goaway_during_a_reply_waits_for_the_turn_boundary(
    conversation, emulator
):
    await conversation.start()
    await conversation.say("a question with a long answer")
    emulator.inject_fault({"action": "goaway", "time_left_s": 3})
    await conversation.settle()
    await conversation.recorder.wait_for(
        lambda: len(conversation.recorder.connections) == 2
    )
    await conversation.talk("next")
    assert not any(sent.replayed for sent in conversation.recorder.sent)
    conversation.assert_each_turn_once()


async def test_server_close_1011_resumes_and_keeps_the_reason(conversation, emulator):
    await conversation.start()
    await conversation.talk("one")
    emulator.inject_fault({"action": "close", "code": 1011, "reason": "Internal error"})
    await conversation.talk("two")
    closed = conversation.recorder.closed[0][1]
    assert closed == {
        "reason": "network",
        "code": 1011,
        "close_reason": "Internal error",
    }
    conversation.assert_each_turn_once()


async def test_expired_handles_restore_from_the_transcript(conversation, emulator):
    await conversation.start()
    await conversation.talk("one", "two")
    emulator.inject_fault({"action": "expire_handles"})
    emulator.inject_fault({"action": "drop"})
    await conversation.talk("three")
    recorder = conversation.recorder
    assert recorder.connections[-1][1] == "restored_from_transcript"
    assert recorder.restored == ["transcript"]
    truth = newest_session(emulator.snapshot())
    assert truth["seeded_turns"] == 2
    assert truth["resumed_connections"] == 0
    conversation.assert_each_turn_once()


async def test_turns_the_handle_missed_are_replayed_not_seeded(conversation, emulator):
    await conversation.start()
    await conversation.talk("one")
    emulator.inject_fault({"action": "expire_handles"})
    emulator.inject_fault({"action": "drop"})
    await conversation.say("in the gap")
    await conversation.settle()
    assert conversation.transcript.excluded[-1] == [2]
    conversation.assert_each_turn_once()


async def test_token_mint_failures_are_retried_with_backoff(conversation, emulator):
    await conversation.start()
    await conversation.talk("one")
    emulator.inject_fault({"action": "fail_token_mints", "count": 2})
    emulator.inject_fault({"action": "drop"})
    await conversation.talk("two")
    reconnecting = [d for s, d in conversation.recorder.statuses if s == "reconnecting"]
    assert [d["attempt"] for d in reconnecting] == [1, 2, 3]
    assert reconnecting[0]["retry_in_ms"] == 0
    conversation.assert_each_turn_once()


async def test_a_user_close_never_reconnects(conversation, emulator):
    await conversation.start()
    await conversation.talk("one")
    await conversation.close()
    recorder = conversation.recorder
    assert recorder.statuses[-2:] == [
        (
            "disconnecting",
            {"run_id": 0, "attempt": None, "retry_in_ms": None, "reason": None},
        ),
        (
            "disconnected",
            {"run_id": 0, "attempt": None, "retry_in_ms": None, "reason": "user"},
        ),
    ]
    assert recorder.closed[-1][1]["reason"] == "user"
    emulator.inject_fault({"action": "drop"})
    await asyncio.sleep(0.2)
    assert len(recorder.connections) == 1
    assert newest_session(emulator.snapshot())["open_connections"] == 0
    with pytest.raises(SessionClosed):
        await conversation.session.send_text("anyone?")


async def test_close_with_a_reason_reports_it(conversation):
    await conversation.start()
    await conversation.session.close(reason="device_switch")
    assert conversation.recorder.closed[-1][1]["reason"] == "device_switch"
    assert conversation.recorder.statuses[-1][1]["reason"] == "device_switch"


async def test_gives_up_after_the_bound_then_resumes_by_hand(conversation, emulator):
    await conversation.start()
    await conversation.talk("one")
    attempts = conversation.config.max_attempts
    emulator.inject_fault({"action": "fail_token_mints", "count": attempts})
    emulator.inject_fault({"action": "drop"})
    recorder = conversation.recorder
    await recorder.wait_for(lambda: recorder.status_names[-1] == "disconnected")
    assert recorder.statuses[-1][1]["reason"] == "gave_up"
    reconnecting = [d["attempt"] for s, d in recorder.statuses if s == "reconnecting"]
    assert reconnecting == list(range(1, attempts + 1))
    await conversation.say("are you back?")  # queued while given up
    await conversation.session.resume()
    await conversation.settle()
    assert recorder.connections[-1][1] == "resumed_with_handle"
    conversation.assert_each_turn_once()


async def test_a_handle_older_than_its_lifetime_is_not_tried(emulator):
    conversation = TalkingSession(emulator)
    conversation.transcript.turns.append(("earlier", "from yesterday"))
    conversation.texts.append("from yesterday")
    conversation.recorder.replies["earlier"] = (
        'Turn 1. You said "from yesterday". You first said "from yesterday".'
    )
    await conversation.start(
        resume_handle="Cg-from-yesterday",
        handle_issued_at=datetime.now(UTC) - timedelta(hours=3),
    )
    await conversation.talk("hello again")
    assert conversation.recorder.connections == [(0, "restored_from_transcript")]
    assert emulator.snapshot()["tokens"]["refused"] == 0
    conversation.assert_each_turn_once()
    await conversation.close()


async def test_a_refused_handle_from_the_caller_restores_from_transcript(emulator):
    conversation = TalkingSession(emulator)
    await conversation.start(
        resume_handle="Cg-unknown", handle_issued_at=datetime.now(UTC)
    )
    await conversation.talk("hi")
    # Nothing to seed: the Live session simply starts new.
    assert conversation.recorder.connections == [(0, "new")]
    conversation.assert_each_turn_once()
    await conversation.close()


async def test_a_fatal_close_stops_with_the_reason(emulator):
    conversation = TalkingSession(emulator, model="gemini-0-gone", auth_mode="key")
    recorder = conversation.recorder
    conversation.session = LiveSession(conversation.config, recorder)
    await conversation.session.start()
    await recorder.wait_for(lambda: recorder.status_names[-1:] == ["disconnected"])
    assert recorder.statuses[-1][1]["reason"] == "error"
    assert "reconnecting" not in recorder.status_names
    await conversation.close()


async def test_a_stalled_server_is_left_and_the_session_resumes(emulator):
    conversation = TalkingSession(
        emulator,
        liveness_timeout_s=0.4,
        ping_interval_s=0.1,
        max_attempts=60,
        base_delay_s=0.02,
        max_delay_s=0.1,
    )
    await conversation.start()
    await conversation.talk("one")
    emulator.inject_fault({"action": "stall", "seconds": 1.0})
    await conversation.recorder.wait_for(lambda: len(conversation.recorder.closed) == 1)
    await conversation.talk("two")
    assert conversation.recorder.closed[0][1]["reason"] == "network"
    conversation.assert_each_turn_once()
    await conversation.close()


async def test_session_cap_warning_comes_before_the_cap(emulator):
    conversation = TalkingSession(emulator, session_cap_s=0.4, cap_warning_lead_s=0.3)
    await conversation.start()
    await conversation.recorder.wait_for(lambda: conversation.recorder.warnings)
    assert conversation.recorder.warnings[0][0] == "session_cap"
    await conversation.close()


async def test_audio_that_arrives_while_live_is_away_is_kept_for_the_connection(
    emulator,
):
    conversation = TalkingSession(emulator)
    conversation.session = LiveSession(conversation.config, conversation.recorder)
    assert await conversation.session.send_audio(b"\x00\x00" * 160) is False
    assert conversation.recorder.warnings == []
    await conversation.session.start()
    await conversation.recorder.wait_for(
        lambda: "connected" in conversation.recorder.status_names
    )
    assert await conversation.session.send_audio(b"\x00\x00" * 160) is True
    await conversation.close()


async def test_bad_input_is_refused_with_a_clear_error(conversation):
    session = await conversation.start()
    with pytest.raises(ValueError, match="even"):
        await session.send_audio(b"\x00")
    with pytest.raises(ValueError, match="non-empty"):
        await session.send_text("   ")


async def test_goaway_deadline_rotates_mid_reply_and_replays_the_turn():
    slow = LiveEmulator(EmulatorConfig(reply_chunk_delay_s=0.08))
    await slow.start()
    conversation = TalkingSession(slow)
    try:
        await conversation.start()
        await conversation.talk("one")
        await conversation.say("a reply that outlasts the deadline")
        await conversation.recorder.wait_for(
            lambda: any(isinstance(e, ModelText) for e in conversation.recorder.events)
        )
        slow.inject_fault({"action": "goaway", "time_left_s": 0.3})
        await conversation.settle()
        recorder = conversation.recorder
        assert recorder.closed[0][1]["reason"] == "goaway"
        assert recorder.sent[-1].replayed
        assert "reconnecting" not in recorder.status_names
        conversation.assert_each_turn_once()
    finally:
        await conversation.close()
        await slow.stop()


async def test_a_drop_right_after_a_restore_restores_again(conversation, emulator):
    await conversation.start()
    await conversation.talk("one", "two")
    emulator.inject_fault({"action": "expire_handles"})
    emulator.inject_fault({"action": "drop"})
    recorder = conversation.recorder
    await recorder.wait_for(lambda: len(recorder.connections) == 2)
    # The restored session issued a handle before its seed was part of it.
    emulator.inject_fault({"action": "drop"})
    await recorder.wait_for(lambda: len(recorder.connections) == 3)
    await conversation.talk("three")
    assert [began for _, began in recorder.connections] == [
        "new",
        "restored_from_transcript",
        "restored_from_transcript",
    ]
    conversation.assert_each_turn_once()


async def test_a_flapping_network_never_gives_up_while_reconnects_succeed(emulator):
    conversation = TalkingSession(emulator, max_attempts=2)
    await conversation.start()
    await conversation.talk("one")
    recorder = conversation.recorder
    for drops in range(1, 6):
        # Each connection is dropped as soon as it is set up and has a handle.
        await recorder.wait_for(lambda n=drops: len(recorder.handles) >= n + 1)
        emulator.inject_fault({"action": "drop"})
        await recorder.wait_for(lambda n=drops: len(recorder.connections) > n)
    await conversation.talk("two")
    assert "disconnected" not in recorder.status_names
    conversation.assert_each_turn_once()
    await conversation.close()


async def test_an_idle_restored_session_under_flapping_never_gives_up(emulator):
    conversation = TalkingSession(emulator, max_attempts=2)
    await conversation.start()
    await conversation.talk("one")
    emulator.inject_fault({"action": "expire_handles"})
    recorder = conversation.recorder
    for drops in range(1, 6):
        # Restored each time, and dropped before any turn could cover the seed.
        emulator.inject_fault({"action": "drop"})
        await recorder.wait_for(lambda n=drops: len(recorder.connections) > n)
        await asyncio.sleep(0.05)
    await conversation.talk("two")
    assert "disconnected" not in recorder.status_names
    assert recorder.connections[-1][1] == "restored_from_transcript"
    conversation.assert_each_turn_once()
    await conversation.close()
