"""Resumption handles, goAway, session cap, faults and ground truth."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect

from conversations.live.emulator import EmulatorConfig, LiveEmulator

from .wire_client import (
    KEY,
    audio_setup,
    close_of,
    latest_handle,
    open_session,
    read_turn,
    recv_json,
    refused,
    reply_text,
    text_setup,
    text_turn,
    user_text,
    ws_url,
)

RESUMABLE = {"sessionResumption": {}}


@pytest.fixture
async def make_emulator():
    started = []

    async def make(**limits):
        live = LiveEmulator(EmulatorConfig(reply_chunk_delay_s=0.005, **limits))
        await live.start()
        started.append(live)
        return live

    yield make
    for live in started:
        await live.stop()


async def turn_and_handle(ws, text: str) -> tuple[str, str]:
    reply = await text_turn(ws, text)
    return reply, await latest_handle(ws)


def resume_setup(handle: str) -> dict:
    return text_setup(sessionResumption={"handle": handle})


async def test_handle_resumes_the_context(emulator):
    ws = await open_session(ws_url(emulator), text_setup(**RESUMABLE))
    await latest_handle(ws)
    await turn_and_handle(ws, "one")
    _, handle = await turn_and_handle(ws, "two")
    await ws.close()
    ws = await open_session(ws_url(emulator), resume_setup(handle))
    assert await text_turn(ws, "three") == (
        'Turn 3. You said "three". You first said "one".'
    )
    await ws.close()
    (session,) = emulator.snapshot()["sessions"]
    assert (session["connections"], session["resumed_connections"]) == (2, 1)


async def test_older_handle_loses_the_later_turns(emulator):
    ws = await open_session(ws_url(emulator), text_setup(**RESUMABLE))
    await latest_handle(ws)
    _, first_handle = await turn_and_handle(ws, "one")
    await turn_and_handle(ws, "two")
    await ws.close()
    ws = await open_session(ws_url(emulator), resume_setup(first_handle))
    assert await text_turn(ws, "again") == (
        'Turn 2. You said "again". You first said "one".'
    )
    await ws.close()
    assert emulator.snapshot()["sessions"][0]["user_turns"] == ["one", "again"]


async def test_resume_while_the_old_socket_is_open_closes_1011(emulator):
    ws = await open_session(ws_url(emulator), text_setup(**RESUMABLE))
    handle = await latest_handle(ws)
    code, reason = await refused(ws_url(emulator), resume_setup(handle))
    assert (code, reason) == (1011, "The service is currently unavailable.")
    await ws.close()


async def test_unknown_handle_closes_1008(emulator):
    code, reason = await refused(ws_url(emulator), resume_setup("Cgnope"))
    assert (code, reason) == (1008, "Requested entity was not found.")


async def test_expired_handle_closes_1008(make_emulator):
    live = await make_emulator(handle_lifetime_s=0.2)
    ws = await open_session(ws_url(live), text_setup(**RESUMABLE))
    handle = await latest_handle(ws)
    await ws.close()
    await asyncio.sleep(0.4)
    code, _ = await refused(ws_url(live), resume_setup(handle))
    assert code == 1008


async def test_expire_handles_fault_invalidates_every_handle(emulator):
    ws = await open_session(ws_url(emulator), text_setup(**RESUMABLE))
    handle = await latest_handle(ws)
    await ws.close()
    emulator.inject_fault({"action": "expire_handles"})
    code, _ = await refused(ws_url(emulator), resume_setup(handle))
    assert code == 1008


async def test_model_cannot_change_on_resume(emulator):
    ws = await open_session(ws_url(emulator), text_setup(**RESUMABLE))
    handle = await latest_handle(ws)
    await ws.close()
    setup = resume_setup(handle)
    setup["setup"]["model"] = "models/gemini-3.5-transcribe-live"
    code, _ = await refused(ws_url(emulator), setup)
    assert code == 1007


async def test_no_resumption_updates_without_session_resumption(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    messages = await read_turn_after(ws, "hi")
    assert not any("sessionResumptionUpdate" in m for m in messages)
    await ws.close()


async def read_turn_after(ws, text: str) -> list[dict]:
    await ws.send(json.dumps(user_text(text)))
    return await read_turn(ws)


async def test_handle_is_not_resumable_while_generating(emulator):
    ws = await open_session(ws_url(emulator), text_setup(**RESUMABLE))
    await latest_handle(ws)
    messages = await read_turn_after(ws, "hi")
    assert messages[0] == {
        "sessionResumptionUpdate": {"newHandle": "", "resumable": False}
    }
    await ws.close()


async def test_goaway_comes_before_the_end_of_the_connection(make_emulator):
    live = await make_emulator(connection_lifetime_s=0.6, goaway_lead_s=0.4)
    ws = await open_session(ws_url(live), text_setup())
    go_away = (await recv_json(ws))["goAway"]
    assert go_away["timeLeft"].endswith("s")
    assert float(go_away["timeLeft"][:-1]) == pytest.approx(0.4)
    code, reason = await close_of(ws)
    assert (code, reason) == (1011, "Deadline expired before operation could complete.")


async def test_audio_session_without_compression_ends_at_the_cap(make_emulator):
    live = await make_emulator(session_cap_s=0.3)
    ws = await open_session(ws_url(live), audio_setup())
    code, reason = await close_of(ws)
    assert code == 1011
    assert "contextWindowCompression" in reason
    assert live.snapshot()["sessions"][0]["ended"] is True


async def test_compression_lifts_the_session_cap(make_emulator):
    live = await make_emulator(
        session_cap_s=0.2, connection_lifetime_s=0.6, goaway_lead_s=0.1
    )
    setup = audio_setup(contextWindowCompression={"slidingWindow": {}})
    ws = await open_session(ws_url(live), setup)
    code, reason = await close_of(ws)
    assert (code, reason) == (1011, "Deadline expired before operation could complete.")


async def test_drop_fault_cuts_without_a_close_frame(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    assert emulator.inject_fault({"action": "drop"})["affected"] == 1
    code, _ = await close_of(ws)
    assert code is None


async def test_drop_fault_with_a_count_cuts_the_longest_open_sockets(emulator):
    oldest = await open_session(ws_url(emulator), text_setup())
    newest = await open_session(ws_url(emulator), text_setup())
    assert emulator.inject_fault({"action": "drop", "count": 1})["affected"] == 1
    assert (await close_of(oldest))[0] is None
    await newest.send(json.dumps(user_text("still there?")))
    assert reply_text(await read_turn(newest)).startswith("Turn 1.")
    await newest.close()


async def test_goaway_fault_announces_then_closes(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    emulator.inject_fault({"action": "goaway", "time_left_s": 0.2})
    assert await recv_json(ws) == {"goAway": {"timeLeft": "0.200s"}}
    code, _ = await close_of(ws)
    assert code == 1011


async def test_goaway_fault_with_a_count_tells_those_not_told_yet(emulator):
    oldest = await open_session(ws_url(emulator), text_setup())
    newest = await open_session(ws_url(emulator), text_setup())
    fault = {"action": "goaway", "time_left_s": 5, "count": 1}
    assert emulator.inject_fault(fault)["affected"] == 1
    assert await recv_json(oldest) == {"goAway": {"timeLeft": "5s"}}
    assert emulator.inject_fault(fault)["affected"] == 1
    assert await recv_json(newest) == {"goAway": {"timeLeft": "5s"}}
    assert emulator.inject_fault(fault)["affected"] == 0
    await oldest.close()
    await newest.close()


async def test_close_fault_sends_the_given_code_and_reason(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    emulator.inject_fault({"action": "close", "code": 1011, "reason": "Internal error"})
    assert await close_of(ws) == (1011, "Internal error")


async def test_fail_token_mints_fault_answers_503_then_recovers(emulator):
    emulator.inject_fault({"action": "fail_token_mints", "count": 2})
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        statuses = [
            (
                await client.post(
                    "/v1alpha/auth_tokens", json={}, headers={"x-goog-api-key": KEY}
                )
            ).status_code
            for _ in range(3)
        ]
    assert statuses == [503, 503, 200]


async def test_stall_fault_silences_the_socket_but_keeps_it_open(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    emulator.inject_fault({"action": "stall", "seconds": 0.5})
    await ws.send(json.dumps(user_text("anyone?")))
    with pytest.raises(TimeoutError):
        await recv_json(ws, wait_s=0.2)
    assert reply_text(await read_turn(ws)).startswith("Turn 1.")
    await ws.close()


async def test_faults_endpoint_applies_a_fault(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        response = await client.post("/emulator/faults", json={"action": "drop"})
    assert response.status_code == 200
    assert response.json()["action"] == "drop"
    assert (await close_of(ws))[0] is None


@pytest.mark.parametrize(
    "fault",
    [
        {"action": "explode"},
        {"action": "stall", "seconds": "long"},
        {"action": "close", "code": 1006},
        {"action": "fail_token_mints", "count": 0},
        {"action": "drop", "extra": 1},
        {"action": "drop", "count": True},
        ["drop"],
    ],
)
async def test_faults_endpoint_rejects_a_bad_fault(emulator, fault):
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        response = await client.post("/emulator/faults", json=fault)
    assert response.status_code == 400
    assert response.json()["error"]["message"]
    with pytest.raises(ValueError, match=r"\w"):
        emulator.inject_fault(fault)


async def test_sessions_endpoint_gives_the_ground_truth(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    await text_turn(ws, "hello")
    await ws.close()
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        body = (await client.get("/emulator/sessions")).json()
    assert body == emulator.snapshot()
    (session,) = body["sessions"]
    assert session["user_turns"] == ["hello"]
    assert session["replies"] == ['Turn 1. You said "hello". You first said "hello".']
    assert body["tokens"] == {"minted": 0, "accepted": 0, "refused": 0}


def test_thread_emulator_serves_and_takes_faults(emulator_thread):
    response = httpx.get(f"{emulator_thread.base_url}/emulator/sessions")
    assert response.json()["sessions"] == []
    result = emulator_thread.emulator.inject_fault({"action": "expire_handles"})
    assert result["ok"] is True


async def test_stop_leaves_no_open_sockets(make_emulator):
    live = await make_emulator()
    ws = await connect(ws_url(live))
    await ws.send(json.dumps(text_setup()))
    await recv_json(ws)
    await live.stop()
    assert (await close_of(ws))[0] is None
    assert not live.connections
    with pytest.raises(ConnectionRefusedError):
        await connect(ws_url(live))
