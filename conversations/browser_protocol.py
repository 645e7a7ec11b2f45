"""The browser socket's wire format: validate what comes in, shape what goes out.

Pure functions and small dataclasses, no I/O, so every rule of the contract is
testable on its own. The README's "The browser socket" writes the contract out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

MAX_TEXT_FRAME_BYTES = 16 * 1024
MAX_AUDIO_FRAME_BYTES = 64 * 1024
MAX_TURN_CHARS = 4000
# A typed turn's id is the page's own; it makes re-sending a turn safe.
TURN_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class BrowserProtocolError(Exception):
    """A frame the server will not act on; ``code`` is sent to the browser."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Hello:
    last_seq: int


@dataclass(frozen=True)
class Text:
    text: str
    turn_id: str = ""  # "" when the page sent no id


@dataclass(frozen=True)
class AudioEnd:
    pass


@dataclass(frozen=True)
class Mic:
    state: Literal["live", "paused"]


@dataclass(frozen=True)
class End:
    pass


@dataclass(frozen=True)
class Takeover:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Audio:
    pcm16: bytes


Command = Hello | Text | AudioEnd | Mic | End | Takeover | Resume | Audio

_SIMPLE_COMMANDS: dict[str, Command] = {
    "audio.end": AudioEnd(),
    "end": End(),
    "takeover": Takeover(),
    "resume": Resume(),
}


def parse_text_frame(raw: str) -> Command:
    """Turn one JSON text frame from the browser into a command, or raise."""
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_TEXT_FRAME_BYTES:
        raise BrowserProtocolError(
            "frame_too_large",
            f"Text frames are limited to {MAX_TEXT_FRAME_BYTES} bytes.",
        )
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        # A frame nested thousands deep exhausts the decoder's stack.
        raise BrowserProtocolError(
            "invalid_json", "The frame is not valid JSON."
        ) from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise BrowserProtocolError(
            "invalid_frame", 'A frame must be a JSON object with a string "type".'
        )
    kind = frame["type"]
    if kind in _SIMPLE_COMMANDS:
        return _SIMPLE_COMMANDS[kind]
    if kind == "hello":
        return Hello(last_seq=_last_seq(frame.get("last_seq", 0)))
    if kind == "text":
        return Text(
            text=_turn_text(frame.get("text")), turn_id=_turn_id(frame.get("id"))
        )
    if kind == "mic":
        state = frame.get("state")
        if state not in ("live", "paused"):
            raise BrowserProtocolError(
                "invalid_frame", 'mic.state must be "live" or "paused".'
            )
        return Mic(state=state)
    if kind == "audio":
        raise BrowserProtocolError(
            "audio_as_text", "Audio travels as binary frames of PCM16, not as JSON."
        )
    raise BrowserProtocolError("unknown_type", f"Unknown frame type {kind[:40]!r}.")


def parse_binary_frame(raw: bytes) -> Audio:
    """Accept one binary frame of PCM16 16 kHz mono audio, or raise."""
    if len(raw) > MAX_AUDIO_FRAME_BYTES:
        raise BrowserProtocolError(
            "frame_too_large",
            f"Audio frames are limited to {MAX_AUDIO_FRAME_BYTES} bytes.",
        )
    if raw[:1] in (b"{", b"[") and _looks_like_json(raw):
        raise BrowserProtocolError(
            "text_as_audio", "JSON must be sent as a text frame, not a binary one."
        )
    if len(raw) == 0 or len(raw) % 2:
        raise BrowserProtocolError(
            "invalid_audio", "Audio must be PCM16: a non-empty, even number of bytes."
        )
    return Audio(pcm16=raw)


def _looks_like_json(raw: bytes) -> bool:
    try:
        json.loads(raw)
    except RecursionError:
        return True  # brackets nested thousands deep: JSON's shape, not audio
    except ValueError:
        return False
    return True


def _last_seq(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BrowserProtocolError(
            "invalid_last_seq", "hello.last_seq must be a non-negative integer."
        )
    return value


def _turn_id(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not TURN_ID.fullmatch(value):
        raise BrowserProtocolError(
            "invalid_turn_id",
            "A turn id is 1 to 64 letters, digits, '-' or '_'.",
        )
    return value


def _turn_text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BrowserProtocolError("empty_text", "A text turn needs some text.")
    if not _storable(value):
        raise BrowserProtocolError(
            "invalid_text",
            "Text must be valid Unicode: no lone surrogates and no NUL characters.",
        )
    if len(value) > MAX_TURN_CHARS:
        raise BrowserProtocolError(
            "text_too_long", f"A text turn is limited to {MAX_TURN_CHARS} characters."
        )
    return value.strip()


def _storable(text: str) -> bool:
    # JSON escapes can carry lone surrogates (UTF-8 cannot encode them) and NUL
    # (PostgreSQL text refuses it): neither could be stored or sent to Live.
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- server → browser -----------------------------------------------------------


def event(kind: str, /, **payload: Any) -> str:
    """Serialize one server → browser event."""
    return json.dumps({"type": kind, **payload}, separators=(",", ":"))


def error_event(code: str, message: str) -> str:
    return event("error", code=code, message=message)
