"""The browser socket contract: what is accepted, what is refused, with which code."""

import json

import pytest

from conversations.browser_protocol import (
    MAX_AUDIO_FRAME_BYTES,
    MAX_TEXT_FRAME_BYTES,
    MAX_TURN_CHARS,
    Audio,
    AudioEnd,
    BrowserProtocolError,
    End,
    Hello,
    Mic,
    Resume,
    Takeover,
    Text,
    event,
    parse_binary_frame,
    parse_text_frame,
)


def error_code(call, *args) -> str:
    with pytest.raises(BrowserProtocolError) as info:
        call(*args)
    return info.value.code


@pytest.mark.parametrize(
    ("frame", "command"),
    [
        ({"type": "hello", "last_seq": 7}, Hello(last_seq=7)),
        ({"type": "hello"}, Hello(last_seq=0)),
        ({"type": "text", "text": "  hi there "}, Text(text="hi there")),
        (
            {"type": "text", "id": "a1-B_2", "text": "hi"},
            Text(text="hi", turn_id="a1-B_2"),
        ),
        ({"type": "audio.end"}, AudioEnd()),
        ({"type": "mic", "state": "paused"}, Mic(state="paused")),
        ({"type": "end"}, End()),
        ({"type": "takeover"}, Takeover()),
        ({"type": "resume"}, Resume()),
    ],
)
def test_contract_frames_parse_into_commands(frame, command):
    assert parse_text_frame(json.dumps(frame)) == command


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"kind": "text"}', "invalid_frame"),
        ('{"type": "launch"}', "unknown_type"),
        ('{"type": "text", "text": "   "}', "empty_text"),
        ('{"type": "text", "text": 42}', "empty_text"),
        ('{"type": "hello", "last_seq": -1}', "invalid_last_seq"),
        ('{"type": "hello", "last_seq": "3"}', "invalid_last_seq"),
        ('{"type": "hello", "last_seq": true}', "invalid_last_seq"),
        ('{"type": "mic", "state": "loud"}', "invalid_frame"),
        ('{"type": "text", "id": "", "text": "hi"}', "invalid_turn_id"),
        ('{"type": "text", "id": 7, "text": "hi"}', "invalid_turn_id"),
        ('{"type": "text", "id": "a b", "text": "hi"}', "invalid_turn_id"),
        ('{"type": "text", "id": "%s", "text": "hi"}' % ("x" * 65), "invalid_turn_id"),
        ('{"type": "audio", "data": "AAAA"}', "audio_as_text"),
    ],
)
def test_bad_text_frames_get_a_code(raw, code):
    assert error_code(parse_text_frame, raw) == code


def test_deeply_nested_json_is_invalid_json():
    assert error_code(parse_text_frame, "[" * 8000) == "invalid_json"


def test_deeply_nested_but_well_formed_json_is_invalid_json():
    assert error_code(parse_text_frame, "[" * 8000 + "]" * 8000) == "invalid_json"


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "nul\x00"])
def test_text_that_cannot_be_stored_is_invalid_text(text):
    # json.dumps escapes them, as a page's JSON.stringify would.
    frame = json.dumps({"type": "text", "text": text})
    assert error_code(parse_text_frame, frame) == "invalid_text"


def test_text_turn_over_the_limit_is_refused():
    frame = json.dumps({"type": "text", "text": "a" * (MAX_TURN_CHARS + 1)})
    assert error_code(parse_text_frame, frame) == "text_too_long"


def test_oversize_text_frame_is_refused_before_parsing():
    raw = '{"type": "text", "text": "' + "a" * MAX_TEXT_FRAME_BYTES + '"}'
    assert error_code(parse_text_frame, raw) == "frame_too_large"


def test_pcm16_audio_frame_is_accepted():
    assert parse_binary_frame(b"\x01\x00" * 160) == Audio(pcm16=b"\x01\x00" * 160)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", "invalid_audio"),
        (b"\x01\x00\x02", "invalid_audio"),
        (b"\x00" * (MAX_AUDIO_FRAME_BYTES + 2), "frame_too_large"),
        (b'{"type":"text"}', "text_as_audio"),
        (b"[" * 8000 + b"]" * 8000, "text_as_audio"),
    ],
)
def test_bad_binary_frames_get_a_code(raw, code):
    assert error_code(parse_binary_frame, raw) == code


def test_events_are_compact_json_with_a_type():
    assert json.loads(event("status", status="connected")) == {
        "type": "status",
        "status": "connected",
    }


def test_an_event_may_carry_a_field_called_kind():
    # A warning's payload has its own "kind" (audio_dropped, session_cap …).
    frame = json.loads(event("warning", kind="audio_dropped", message="gone"))
    assert frame == {"type": "warning", "kind": "audio_dropped", "message": "gone"}
