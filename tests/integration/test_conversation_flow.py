"""A conversation over a live Daphne worker and the emulator: turns, faults, resumes.

After each scenario the stored transcript must be gap-free, hold each turn once,
and agree with the emulator's ground truth of what Live's context holds.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.integration.socket_client import BrowserSocket
from tests.integration.talk import (
    assert_consistent,
    chunks,
    open_conversation,
    pcm16_silence,
    pcm16_tone,
    reply,
    say,
)

pytestmark = [
    pytest.mark.app_env(CONVERSATION_LEASE_TTL_S="2", LIVE_MAX_BACKOFF_MS="300"),
    pytest.mark.emulator_config(reply_chunk_delay_s=0.03),
]


async def test_text_turns_are_answered_in_order(app_server, account):
    public_id, socket = await open_conversation(app_server, account)
    first = await say(socket, "alpha")
    second = await say(socket, "beta")
    assert first["content"] == reply(1, "alpha", "alpha")
    assert second["content"] == reply(2, "beta", "alpha")
    await socket.close()
    items = assert_consistent(app_server, public_id)
    assert [item["role"] for item in items] == ["user", "assistant"] * 2


async def test_a_turn_sent_again_with_its_id_is_stored_and_answered_once(
    app_server, account
):
    public_id, socket = await open_conversation(app_server, account)
    await socket.send(type="text", id="turn-1", text="only once")
    stored = await socket.expect("transcript.item", lambda e: e["role"] == "user")
    assert stored["id"] == "turn-1"
    await socket.expect("transcript.item", lambda e: e["role"] == "assistant")
    # The socket is cut before the page saw the ack: it sends the turn again.
    await socket.close()
    again = await BrowserSocket.open(app_server.workers[0], public_id, account)
    await again.hello(last_seq=0)
    replayed = await again.expect("transcript.item", lambda e: e["seq"] == 1)
    assert replayed["id"] == "turn-1"
    if (await again.expect("presence"))["role"] == "viewer":
        # The old socket had not let go yet: take over, as the page does.
        await again.send(type="takeover")
        await again.expect("presence", lambda e: e["role"] == "owner")
    await again.send(type="text", id="turn-1", text="only once")
    echoed = await again.expect("transcript.item", lambda e: e["id"] == "turn-1")
    assert echoed["seq"] == stored["seq"]
    await say(again, "next")
    await again.close()
    items = assert_consistent(app_server, public_id)
    assert [i["content"] for i in items if i["role"] == "user"] == ["only once", "next"]
    assert items[-1]["content"] == reply(2, "next", "only once")


async def test_voice_turn_streams_captions_and_audio(app_server, account):
    public_id, socket = await open_conversation(app_server, account, mode="voice")
    for chunk in chunks(pcm16_tone(1.0) + pcm16_silence(0.8)):
        await socket.send_audio(chunk)
        await asyncio.sleep(0.01)
    await socket.send(type="audio.end")
    caption = await socket.expect("transcript.delta", lambda e: e["role"] == "user")
    assert caption["text"].startswith("spoken")
    answer = await socket.expect("transcript.item", lambda e: e["role"] == "assistant")
    assert answer["content"].startswith('Turn 1. You said "spoken')
    assert socket.audio_bytes > 0
    await socket.close()
    items = assert_consistent(app_server, public_id)
    assert [(i["role"]) for i in items] == ["user", "assistant"]


async def test_an_utterance_cut_by_a_drop_is_replayed_and_answered_once(
    app_server, account
):
    public_id, socket = await open_conversation(app_server, account, mode="voice")
    speech = list(chunks(pcm16_tone(0.8) + pcm16_silence(0.8), size=640))
    for index, chunk in enumerate(speech):
        if index == 20:  # 0.4 s into the utterance
            app_server.fault({"action": "drop"})
        await socket.send_audio(chunk)
        await asyncio.sleep(0.02)
    answer = await socket.expect("transcript.item", lambda e: e["role"] == "assistant")
    assert answer["content"].startswith('Turn 1. You said "spoken 0.8s"')
    created = socket.of("session.created")
    assert [event["run_id"] for event in created] == [0, 1]
    await asyncio.sleep(0.5)  # nothing more arrives: the utterance is answered once
    await socket.close()
    items = assert_consistent(app_server, public_id)
    assert [(i["role"], i["content"]) for i in items] == [
        ("user", "spoken 0.8s"),
        ("assistant", answer["content"]),
    ]


async def test_drop_mid_turn_reconnects_and_answers_once(app_server, account):
    public_id, socket = await open_conversation(app_server, account)
    await say(socket, "before the drop")
    await socket.send(type="text", text="during the drop")
    await socket.expect("transcript.delta", lambda e: e["role"] == "assistant")
    app_server.fault({"action": "drop"})
    await socket.expect("status", lambda e: e["status"] == "reconnecting")
    created = await socket.expect("session.created")
    assert (created["run_id"], created["resumed"]) == (1, True)
    answer = await socket.expect(
        "transcript.item",
        lambda e: e["role"] == "assistant" and "during the drop" in e["content"],
    )
    assert answer["content"] == reply(2, "during the drop", "before the drop")
    statuses = socket.statuses()
    assert statuses.index("connected", statuses.index("reconnecting")) > 0
    await socket.close()
    items = assert_consistent(app_server, public_id)
    assert [i["content"] for i in items if i["role"] == "assistant"] == [
        reply(1, "before the drop", "before the drop"),
        reply(2, "during the drop", "before the drop"),
    ]
    runs = app_server.runs(public_id)
    assert runs[0]["end_reason"] == "network"
    assert runs[1]["began"] == "resumed_with_handle"


async def test_goaway_rotation_only_changes_the_run_id(app_server, account):
    public_id, socket = await open_conversation(app_server, account)
    await say(socket, "one")
    app_server.fault({"action": "goaway", "time_left_s": 2})
    created = await socket.expect("session.created")
    assert (created["run_id"], created["resumed"]) == (1, True)
    answer = await say(socket, "two")
    assert answer["content"] == reply(2, "two", "one")
    assert "reconnecting" not in socket.statuses()
    await socket.close()
    assert_consistent(app_server, public_id)
    assert app_server.runs(public_id)[0]["end_reason"] == "goaway"


async def test_refresh_catches_up_exactly_and_resumes(app_server, account):
    public_id, first_tab = await open_conversation(app_server, account)
    await say(first_tab, "one")
    await say(first_tab, "two")
    await first_tab.close()
    await asyncio.sleep(0.3)
    refreshed = await BrowserSocket.open(app_server.workers[0], public_id, account)
    await refreshed.hello(last_seq=2)
    created = await refreshed.expect("session.created")
    assert created["resumed"] is True
    restored = await refreshed.expect("context.restored")
    assert restored["source"] == "handle"
    caught_up = [e["seq"] for e in refreshed.of("transcript.item")]
    assert caught_up == [3, 4]
    answer = await say(refreshed, "three")
    assert answer["content"] == reply(3, "three", "one")
    await refreshed.close()
    assert_consistent(app_server, public_id)


async def test_expired_handle_restores_from_the_transcript(app_server, account):
    public_id, socket = await open_conversation(app_server, account)
    await say(socket, "one")
    await say(socket, "two")
    app_server.fault({"action": "expire_handles"})
    app_server.fault({"action": "drop"})
    restored = await socket.expect("context.restored")
    assert restored["source"] == "transcript"
    answer = await say(socket, "three")
    # The new Live session was seeded with both turns: the count continues.
    assert answer["content"] == reply(3, "three", "one")
    await socket.close()
    assert_consistent(app_server, public_id)
    assert app_server.runs(public_id)[-1]["began"] == "restored_from_transcript"


async def test_user_end_never_reconnects(app_server, account):
    public_id, socket = await open_conversation(app_server, account)
    await say(socket, "bye soon")
    await socket.send(type="end")
    ended = await socket.expect("status", lambda e: e["status"] == "disconnected")
    assert ended["reason"] == "user"
    app_server.fault({"action": "drop"})
    await asyncio.sleep(1.0)
    assert len(socket.of("session.created")) == 1
    await socket.close()
    assert app_server.runs(public_id)[0]["end_reason"] == "user"
