"""Audio in (VAD, input transcription), audio out (24 kHz, transcription), barge-in."""

from __future__ import annotations

import base64
import json

import pytest

from .wire_client import (
    audio_message,
    audio_setup,
    open_session,
    read_turn,
    recv_json,
    speech_then_silence,
    user_text,
    ws_url,
)

EXPECTED_REPLY = 'Turn 1. You said "spoken 0.5s". You first said "spoken 0.5s".'


def content_of(messages: list[dict], key: str) -> list:
    return [
        m["serverContent"][key] for m in messages if key in m.get("serverContent", {})
    ]


def output_transcript(messages: list[dict]) -> str:
    return "".join(
        piece["text"] for piece in content_of(messages, "outputTranscription")
    )


async def test_spoken_turn_is_transcribed_and_answered_in_24khz_audio(emulator):
    ws = await open_session(ws_url(emulator), audio_setup())
    await ws.send(audio_message(speech_then_silence()))
    messages = await read_turn(ws)
    assert content_of(messages, "inputTranscription")[0]["text"] == "spoken 0.5s"
    parts = [p for turn in content_of(messages, "modelTurn") for p in turn["parts"]]
    assert parts
    assert {p["inlineData"]["mimeType"] for p in parts} == {"audio/pcm;rate=24000"}
    audio = b"".join(base64.b64decode(p["inlineData"]["data"]) for p in parts)
    assert len(audio) % 2 == 0
    assert output_transcript(messages) == EXPECTED_REPLY
    assert content_of(messages, "generationComplete") == [True]
    await ws.close()


@pytest.mark.parametrize("urlsafe", [False, True], ids=["standard", "urlsafe"])
async def test_both_base64_alphabets_decode_without_padding(emulator, urlsafe):
    pcm = speech_then_silence()
    assert any(c in base64.b64encode(pcm).decode() for c in "+/")
    ws = await open_session(ws_url(emulator), audio_setup())
    await ws.send(audio_message(pcm, urlsafe=urlsafe, padded=False))
    messages = await read_turn(ws)
    assert content_of(messages, "inputTranscription")[0]["text"] == "spoken 0.5s"
    await ws.close()


async def test_audio_stream_end_closes_the_turn(emulator):
    ws = await open_session(ws_url(emulator), audio_setup())
    await ws.send(audio_message(speech_then_silence(silence_s=0.1)))
    await ws.send(json.dumps({"realtimeInput": {"audioStreamEnd": True}}))
    messages = await read_turn(ws)
    assert output_transcript(messages) == EXPECTED_REPLY
    await ws.close()


async def test_deprecated_media_chunks_carry_audio(emulator):
    ws = await open_session(ws_url(emulator), audio_setup())
    data = base64.b64encode(speech_then_silence()).decode()
    chunk = {"mime_type": "audio/pcm", "data": data}
    await ws.send(json.dumps({"realtime_input": {"media_chunks": [chunk]}}))
    messages = await read_turn(ws)
    assert content_of(messages, "inputTranscription")[0]["text"] == "spoken 0.5s"
    await ws.close()


async def test_silence_alone_is_not_a_turn(emulator):
    ws = await open_session(ws_url(emulator), audio_setup())
    await ws.send(audio_message(speech_then_silence(speech_s=0, silence_s=1.0)))
    await ws.send(json.dumps(user_text("typed")))
    messages = await read_turn(ws)
    assert output_transcript(messages).startswith('Turn 1. You said "typed"')
    await ws.close()


async def test_barge_in_interrupts_the_reply_and_keeps_the_partial(emulator):
    ws = await open_session(ws_url(emulator), audio_setup())
    await ws.send(json.dumps(user_text("tell me a long story")))
    while "modelTurn" not in (await recv_json(ws)).get("serverContent", {}):
        pass
    await ws.send(audio_message(speech_then_silence()))
    cut = await read_turn(ws)
    assert content_of(cut, "interrupted") == [True]
    assert content_of(cut, "generationComplete") == []
    answer = await read_turn(ws)
    assert output_transcript(answer).startswith("Turn 2.")
    await ws.close()
    (session,) = emulator.snapshot()["sessions"]
    assert session["interrupted"] == [True, False]
    assert 'Turn 1. You said "tell me a long story"'.startswith(session["replies"][0])


async def test_manual_activity_marks_the_turn_when_detection_is_off(emulator):
    setup = audio_setup(
        realtimeInputConfig={"automaticActivityDetection": {"disabled": True}}
    )
    ws = await open_session(ws_url(emulator), setup)
    await ws.send(json.dumps({"realtimeInput": {"activityStart": {}}}))
    await ws.send(audio_message(speech_then_silence(silence_s=1.0)))
    await ws.send(json.dumps({"realtimeInput": {"activityEnd": {}}}))
    messages = await read_turn(ws)
    assert output_transcript(messages) == EXPECTED_REPLY
    await ws.close()


async def test_no_interruption_lets_the_reply_finish(emulator):
    setup = audio_setup(realtimeInputConfig={"activityHandling": "NO_INTERRUPTION"})
    ws = await open_session(ws_url(emulator), setup)
    await ws.send(json.dumps({"realtimeInput": {"text": "first"}}))
    await ws.send(json.dumps({"realtimeInput": {"text": "second"}}))
    first = await read_turn(ws)
    assert content_of(first, "generationComplete") == [True]
    assert output_transcript(await read_turn(ws)).startswith("Turn 2.")
    await ws.close()
