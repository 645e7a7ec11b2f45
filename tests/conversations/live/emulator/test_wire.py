"""The emulator speaks Live's wire protocol: paths, auth, casing, frames, closes."""

from __future__ import annotations

import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from .wire_client import (
    TEXT_MODEL,
    close_of,
    open_session,
    read_turn,
    refused,
    reply_text,
    text_setup,
    text_turn,
    user_text,
    ws_url,
)

SNAKE_SETUP = {
    "setup": {
        "model": TEXT_MODEL,
        "generation_config": {"response_modalities": ["TEXT"], "max_output_tokens": 10},
        "system_instruction": {"parts": [{"text": "be brief"}], "role": "user"},
        "realtime_input_config": {"automatic_activity_detection": {"disabled": False}},
    }
}


@pytest.mark.parametrize("setup", [text_setup(), SNAKE_SETUP], ids=["camel", "snake"])
async def test_setup_in_either_casing_completes(emulator, setup):
    ws = await open_session(ws_url(emulator), setup)
    await ws.close()


async def test_snake_case_client_content_gets_a_reply(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    await ws.send(
        json.dumps(
            {
                "client_content": {
                    "turns": [{"role": "user", "parts": [{"text": "hello"}]}],
                    "turn_complete": True,
                }
            }
        )
    )
    assert reply_text(await read_turn(ws)).startswith("Turn 1.")
    await ws.close()


async def test_server_frames_are_binary(emulator):
    async with connect(ws_url(emulator)) as ws:
        await ws.send(json.dumps(text_setup()))
        frame = await ws.recv()
        assert isinstance(frame, bytes)
        assert json.loads(frame) == {"setupComplete": {}}


async def test_reply_counts_turns_and_quotes_the_first(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    await text_turn(ws, "alpha")
    await text_turn(ws, "beta")
    reply = await text_turn(ws, "gamma")
    assert reply == 'Turn 3. You said "gamma". You first said "alpha".'
    await ws.close()


async def test_realtime_text_is_a_user_turn(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    await ws.send(json.dumps({"realtimeInput": {"text": "typed"}}))
    reply = reply_text(await read_turn(ws))
    assert reply == 'Turn 1. You said "typed". You first said "typed".'
    await ws.close()


async def test_seeded_history_counts_without_a_reply(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    seed = {
        "clientContent": {
            "turns": [
                {"role": "user", "parts": [{"text": "first"}]},
                {"role": "model", "parts": [{"text": "ok"}]},
                {"role": "user", "parts": [{"text": "second"}]},
            ],
            "turnComplete": False,
        }
    }
    await ws.send(json.dumps(seed))
    reply = await text_turn(ws, "third")
    assert reply == 'Turn 3. You said "third". You first said "first".'
    await ws.close()
    (session,) = emulator.snapshot()["sessions"]
    assert session["seeded_turns"] == 2
    assert session["user_turns"] == ["first", "second", "third"]


@pytest.mark.parametrize("version", ["v1", "v1beta", "v1alpha"])
async def test_every_api_version_is_served(emulator, version):
    ws = await open_session(ws_url(emulator, version=version), text_setup())
    await ws.close()


async def test_repeated_slashes_in_the_path_are_collapsed(emulator):
    url = ws_url(emulator).replace("/ws/", "//ws/")
    ws = await open_session(url, text_setup())
    await ws.close()


async def test_unknown_path_fails_the_upgrade_with_404(emulator):
    url = ws_url(emulator).replace("BidiGenerateContent", "StreamGenerateContent")
    with pytest.raises(InvalidStatus) as raised:
        await connect(url)
    assert raised.value.response.status_code == 404


async def test_unknown_field_closes_1007_with_its_path(emulator):
    setup = text_setup()
    setup["setup"]["generationConfig"]["inputAudioTranscription"] = {}
    code, reason = await refused(ws_url(emulator), setup)
    assert code == 1007
    assert reason == (
        'Invalid JSON payload received. Unknown name "inputAudioTranscription" '
        "at 'setup.generation_config': Cannot find field."
    )


async def test_unknown_model_closes_1008_with_a_truncated_reason(emulator):
    setup = text_setup(model="models/gemini-9-nope")
    code, reason = await refused(ws_url(emulator), setup)
    assert code == 1008
    assert reason.startswith(
        "models/gemini-9-nope is not found for API version v1beta, or is not "
        "supported for bidiGenerateContent. Call"
    )
    assert len(reason.encode()) == 123


async def test_shut_down_model_closes_1008(emulator):
    setup = text_setup(model="models/gemini-2.0-flash-live-001")
    code, _ = await refused(ws_url(emulator), setup)
    assert code == 1008


async def test_both_response_modalities_close_1007(emulator):
    setup = text_setup(generationConfig={"responseModalities": ["TEXT", "AUDIO"]})
    code, reason = await refused(ws_url(emulator), setup)
    assert code == 1007
    assert "Only one response modality" in reason


async def test_text_modality_on_an_audio_only_model_closes_1007(emulator):
    setup = text_setup(model="models/gemini-3.8-live")
    code, _ = await refused(ws_url(emulator), setup)
    assert code == 1007


async def test_second_setup_closes_1007(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    await ws.send(json.dumps(text_setup()))
    code, _ = await close_of(ws)
    assert code == 1007


async def test_message_before_setup_closes_1007(emulator):
    code, _ = await refused(ws_url(emulator), user_text("too early"))
    assert code == 1007


async def test_invalid_json_closes_1007(emulator):
    async with connect(ws_url(emulator)) as ws:
        await ws.send("{not json")
        code, reason = await close_of(ws)
    assert code == 1007
    assert reason.startswith("Invalid JSON payload received.")


async def test_two_message_types_in_one_frame_close_1007(emulator):
    ws = await open_session(ws_url(emulator), text_setup())
    both = {**user_text("a"), "realtimeInput": {"text": "b"}}
    await ws.send(json.dumps(both))
    code, _ = await close_of(ws)
    assert code == 1007


async def test_oversize_frame_closes_1009(emulator):
    emulator.config.max_frame_bytes = 1024
    async with connect(ws_url(emulator)) as ws:
        await ws.send("x" * 4096)
        code, _ = await close_of(ws)
    assert code == 1009


async def test_malformed_frames_leave_the_server_serving(emulator):
    for garbage in ["[]", "null", '{"setup": 5}', '{"setup": {"tools": {}}}']:
        code, _ = await refused(ws_url(emulator), json.loads(garbage))
        assert code == 1007
    ws = await open_session(ws_url(emulator), text_setup())
    await ws.close()
