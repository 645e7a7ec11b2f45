"""Live wire messages: what the client builds and how every server frame is read."""

from __future__ import annotations

import base64
import json

import pytest

from conversations.live import protocol
from conversations.live.protocol import (
    FunctionResponse,
    GenerationComplete,
    GoAway,
    InputTranscription,
    Interrupted,
    MalformedFrame,
    ModelAudio,
    ModelText,
    OutputTranscription,
    SessionResumptionUpdate,
    SetupComplete,
    ToolCall,
    ToolCallCancellation,
    TurnComplete,
    UsageMetadata,
    parse_server_frame,
)


def test_setup_prefixes_the_model_and_asks_for_resumption_updates():
    setup = protocol.build_setup(model="gemini-3.8-live")["setup"]
    assert setup["model"] == "models/gemini-3.8-live"
    assert setup["sessionResumption"] == {}


def test_setup_resumes_with_a_handle():
    setup = protocol.build_setup(model="m", resumption_handle="Cg123")["setup"]
    assert setup["sessionResumption"] == {"handle": "Cg123"}


def test_setup_carries_modality_voice_instruction_and_transcriptions():
    setup = protocol.build_setup(
        model="m",
        response_modality="TEXT",
        system_instruction="be brief",
        voice="Kore",
        input_transcription=True,
        output_transcription=True,
    )["setup"]
    assert setup["generationConfig"]["responseModalities"] == ["TEXT"]
    voice = setup["generationConfig"]["speechConfig"]["voiceConfig"]
    assert voice["prebuiltVoiceConfig"]["voiceName"] == "Kore"
    assert setup["systemInstruction"]["parts"] == [{"text": "be brief"}]
    assert setup["inputAudioTranscription"] == {}
    assert setup["outputAudioTranscription"] == {}


def test_setup_without_compression_leaves_it_out():
    assert "contextWindowCompression" not in protocol.build_setup(model="m")["setup"]


def test_setup_with_compression():
    setup = protocol.build_setup(
        model="m", compression_trigger_tokens=1000, compression_target_tokens=500
    )["setup"]
    assert setup["contextWindowCompression"] == {
        "triggerTokens": 1000,
        "slidingWindow": {"targetTokens": 500},
    }


def test_user_turn_asks_for_a_reply():
    message = protocol.build_user_turn("hi")["clientContent"]
    assert message == {
        "turns": [{"role": "user", "parts": [{"text": "hi"}]}],
        "turnComplete": True,
    }


def test_history_seeds_without_asking_for_a_reply():
    message = protocol.build_history([("user", "a"), ("model", "b")])["clientContent"]
    assert message["turnComplete"] is False
    assert [turn["role"] for turn in message["turns"]] == ["user", "model"]


def test_history_refuses_unknown_roles():
    with pytest.raises(ValueError, match="role"):
        protocol.build_history([("system", "x")])


def test_audio_is_base64_pcm_at_16khz():
    audio = protocol.build_audio(b"\x01\x02\x03\x04")["realtimeInput"]["audio"]
    assert audio["mimeType"] == "audio/pcm;rate=16000"
    assert base64.b64decode(audio["data"]) == b"\x01\x02\x03\x04"


def test_realtime_text_and_audio_stream_end():
    assert protocol.build_realtime_text("yo") == {"realtimeInput": {"text": "yo"}}
    assert protocol.build_audio_stream_end() == {
        "realtimeInput": {"audioStreamEnd": True}
    }


def test_tool_response_echoes_the_call_id():
    message = protocol.build_tool_response(
        [FunctionResponse(id="fc1", name="weather", response={"output": "sunny"})]
    )
    assert message["toolResponse"]["functionResponses"] == [
        {"id": "fc1", "name": "weather", "response": {"output": "sunny"}}
    ]


def test_encode_is_compact_json():
    assert json.loads(protocol.encode({"a": [1]})) == {"a": [1]}


def test_binary_setup_complete():
    assert parse_server_frame(b'{"setupComplete":{}}') == [SetupComplete()]


def test_server_content_and_usage_in_one_frame_give_both_events():
    frame = {
        "serverContent": {"turnComplete": True},
        "usageMetadata": {"promptTokenCount": 5, "responseTokenCount": "2"},
    }
    events = parse_server_frame(json.dumps(frame))
    assert events[0] == TurnComplete()
    assert isinstance(events[1], UsageMetadata)
    assert (events[1].prompt_tokens, events[1].response_tokens) == (5, 2)


def test_model_audio_in_either_base64_alphabet():
    data = base64.urlsafe_b64encode(b"\xff\xd8\xff").decode().rstrip("=")
    frame = {
        "serverContent": {
            "modelTurn": {
                "parts": [
                    {"inlineData": {"mimeType": "audio/pcm;rate=24000", "data": data}}
                ]
            }
        }
    }
    assert parse_server_frame(json.dumps(frame)) == [
        ModelAudio(b"\xff\xd8\xff", "audio/pcm;rate=24000")
    ]


def test_model_text_transcriptions_and_turn_markers_in_wire_order():
    frame = {
        "serverContent": {
            "inputTranscription": {"text": "hello", "finished": True},
            "modelTurn": {"parts": [{"text": "Hi"}]},
            "outputTranscription": {"text": "Hi"},
            "interrupted": True,
            "generationComplete": True,
        }
    }
    assert parse_server_frame(json.dumps(frame)) == [
        InputTranscription("hello", True),
        ModelText("Hi"),
        OutputTranscription("Hi"),
        Interrupted(),
        GenerationComplete(),
    ]


def test_snake_case_fields_are_read_too():
    frame = {"server_content": {"turn_complete": True}}
    assert parse_server_frame(json.dumps(frame)) == [TurnComplete()]


@pytest.mark.parametrize(
    ("time_left", "seconds"),
    [("50s", 50.0), ("1.5s", 1.5), ("0s", 0.0), ({"seconds": 2, "nanos": 5e8}, 2.5)],
)
def test_go_away_duration_is_parsed(time_left, seconds):
    frame = json.dumps({"goAway": {"timeLeft": time_left}})
    assert parse_server_frame(frame) == [GoAway(seconds)]


def test_go_away_with_an_unreadable_duration_still_warns():
    assert parse_server_frame('{"goAway": {"timeLeft": "soon"}}') == [GoAway(None)]


def test_resumption_update_accepts_a_string_boolean():
    frame = '{"sessionResumptionUpdate": {"newHandle": "Cg1", "resumable": "true"}}'
    assert parse_server_frame(frame) == [SessionResumptionUpdate("Cg1", True)]


def test_unresumable_update_has_no_handle():
    frame = '{"sessionResumptionUpdate": {"newHandle": "", "resumable": false}}'
    assert parse_server_frame(frame) == [SessionResumptionUpdate("", False)]


def test_resumption_update_repr_hides_the_handle():
    assert "secret" not in repr(SessionResumptionUpdate("secret-handle", True))


def test_tool_call_and_cancellation():
    frame = {
        "toolCall": {"functionCalls": [{"id": "1", "name": "f", "args": {"x": 1}}]}
    }
    (call,) = parse_server_frame(json.dumps(frame))
    assert isinstance(call, ToolCall)
    assert call.function_calls[0].args == {"x": 1}
    assert parse_server_frame('{"toolCallCancellation": {"ids": ["1"]}}') == [
        ToolCallCancellation(("1",))
    ]


def test_unknown_fields_are_ignored():
    frame = {"voiceActivity": {"x": 1}, "serverContent": {"newThing": 1}}
    assert parse_server_frame(json.dumps(frame)) == []


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff\xfe",
        "not json",
        "[1, 2]",
        '"text"',
        '{"serverContent": {"modelTurn": {"parts": 5}}}',
    ],
)
def test_malformed_frames_become_an_event_not_an_exception(raw):
    (event,) = parse_server_frame(raw)
    assert isinstance(event, MalformedFrame)


def test_audio_that_is_not_base64_is_malformed():
    frame = {
        "serverContent": {"modelTurn": {"parts": [{"inlineData": {"data": "@@"}}]}}
    }
    assert isinstance(parse_server_frame(json.dumps(frame))[0], MalformedFrame)
