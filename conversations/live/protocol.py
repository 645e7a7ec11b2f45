"""Live's wire messages: builders for what the client sends, a parser for the rest.

Pure functions, no I/O. Builders return plain dicts (serialise them with `encode`);
`parse_server_frame` turns one server frame, text or binary, into a list of typed
events and never raises: a frame may carry several events (serverContent together
with usageMetadata), unknown fields are ignored, and a frame that is not a JSON
object becomes a single `MalformedFrame`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

INPUT_AUDIO_MIME = "audio/pcm;rate=16000"


# --- client -> server --------------------------------------------------------------


def build_setup(
    *,
    model: str,
    response_modality: str = "AUDIO",
    system_instruction: str = "",
    voice: str | None = None,
    input_transcription: bool = False,
    output_transcription: bool = False,
    resumption_handle: str | None = None,
    compression_trigger_tokens: int | None = None,
    compression_target_tokens: int | None = None,
) -> dict[str, Any]:
    """Build the `setup` message; `model` is a bare id, `models/` is added here.

    Resumption is always requested: `{}` on a new session, `{handle}` to resume one.
    """
    generation_config: dict[str, Any] = {"responseModalities": [response_modality]}
    if voice:
        generation_config["speechConfig"] = {
            "voiceConfig": {"prebuiltVoiceConfig": {"voiceName": voice}}
        }
    setup: dict[str, Any] = {
        "model": f"models/{model}",
        "generationConfig": generation_config,
    }
    if system_instruction:
        setup["systemInstruction"] = {
            "parts": [{"text": system_instruction}],
            "role": "user",
        }
    if input_transcription:
        setup["inputAudioTranscription"] = {}
    if output_transcription:
        setup["outputAudioTranscription"] = {}
    setup["sessionResumption"] = (
        {"handle": resumption_handle} if resumption_handle else {}
    )
    if compression_trigger_tokens is not None:
        compression: dict[str, Any] = {"triggerTokens": compression_trigger_tokens}
        if compression_target_tokens is not None:
            compression["slidingWindow"] = {"targetTokens": compression_target_tokens}
        setup["contextWindowCompression"] = compression
    return {"setup": setup}


def build_user_turn(text: str) -> dict[str, Any]:
    """Build a `clientContent` message holding one complete user turn."""
    return {
        "clientContent": {
            "turns": [{"role": "user", "parts": [{"text": text}]}],
            "turnComplete": True,
        }
    }


def build_history(turns: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Build a `clientContent` message that seeds history without asking for a reply.

    `turns` holds (role, text) pairs with role "user" or "model".
    """
    for role, _text in turns:
        if role not in ("user", "model"):
            raise ValueError(f"history role must be 'user' or 'model', not {role!r}")
    return {
        "clientContent": {
            "turns": [
                {"role": role, "parts": [{"text": text}]} for role, text in turns
            ],
            "turnComplete": False,
        }
    }


def build_audio(pcm16_16khz: bytes) -> dict[str, Any]:
    """Build a `realtimeInput` message carrying PCM16 mono 16 kHz audio."""
    data = base64.b64encode(pcm16_16khz).decode("ascii")
    return {"realtimeInput": {"audio": {"mimeType": INPUT_AUDIO_MIME, "data": data}}}


def build_realtime_text(text: str) -> dict[str, Any]:
    """Build a `realtimeInput` message carrying text."""
    return {"realtimeInput": {"text": text}}


def build_audio_stream_end() -> dict[str, Any]:
    """Build the `realtimeInput` message that says the microphone stopped."""
    return {"realtimeInput": {"audioStreamEnd": True}}


@dataclass(frozen=True)
class FunctionResponse:
    """The answer to one function call of a `ToolCall`."""

    id: str
    name: str
    response: Mapping[str, Any]


def build_tool_response(responses: Iterable[FunctionResponse]) -> dict[str, Any]:
    """Build a `toolResponse` message."""
    return {
        "toolResponse": {
            "functionResponses": [
                {"id": r.id, "name": r.name, "response": dict(r.response)}
                for r in responses
            ]
        }
    }


def encode(message: Mapping[str, Any]) -> str:
    """Serialise a client message for a text frame."""
    return json.dumps(message, separators=(",", ":"))


# --- server -> client --------------------------------------------------------------


@dataclass(frozen=True)
class SetupComplete:
    pass


@dataclass(frozen=True)
class ModelAudio:
    data: bytes
    mime_type: str


@dataclass(frozen=True)
class ModelText:
    text: str


@dataclass(frozen=True)
class InputTranscription:
    text: str
    finished: bool = False


@dataclass(frozen=True)
class OutputTranscription:
    text: str
    finished: bool = False


@dataclass(frozen=True)
class Interrupted:
    pass


@dataclass(frozen=True)
class GenerationComplete:
    pass


@dataclass(frozen=True)
class TurnComplete:
    pass


@dataclass(frozen=True)
class FunctionCall:
    id: str
    name: str
    args: Mapping[str, Any]


@dataclass(frozen=True)
class ToolCall:
    function_calls: tuple[FunctionCall, ...]


@dataclass(frozen=True)
class ToolCallCancellation:
    ids: tuple[str, ...]


@dataclass(frozen=True)
class GoAway:
    time_left_s: float | None


@dataclass(frozen=True)
class SessionResumptionUpdate:
    new_handle: str
    resumable: bool

    def __repr__(self) -> str:
        # The handle is a credential for the session: keep it out of logs.
        return (
            f"SessionResumptionUpdate(new_handle=<{len(self.new_handle)} chars>, "
            f"resumable={self.resumable})"
        )


@dataclass(frozen=True)
class UsageMetadata:
    prompt_tokens: int
    response_tokens: int
    total_tokens: int
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MalformedFrame:
    reason: str


ServerEvent = (
    SetupComplete
    | ModelAudio
    | ModelText
    | InputTranscription
    | OutputTranscription
    | Interrupted
    | GenerationComplete
    | TurnComplete
    | ToolCall
    | ToolCallCancellation
    | GoAway
    | SessionResumptionUpdate
    | UsageMetadata
    | MalformedFrame
)

_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d*)?|-?\.\d+)s\s*$")


def parse_duration(value: Any) -> float | None:
    """Parse a protobuf JSON Duration such as `"50s"` or `"1.5s"` into seconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1))
    if isinstance(value, Mapping):
        # Some encoders write {"seconds": ..., "nanos": ...}.
        seconds = _as_int(_get(value, "seconds"))
        nanos = _as_int(_get(value, "nanos"))
        if seconds is not None or nanos is not None:
            return (seconds or 0) + (nanos or 0) / 1e9
    return None


def decode_base64(data: str) -> bytes:
    """Decode standard or URL-safe base64, with or without padding."""
    cleaned = data.strip().replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    return base64.b64decode(cleaned, validate=True)


def parse_server_frame(raw: str | bytes) -> list[ServerEvent]:
    """Turn one server frame into the events it carries, in wire order."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        message = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        return [MalformedFrame(f"not JSON: {type(exc).__name__}")]
    if not isinstance(message, dict):
        return [MalformedFrame("not a JSON object")]

    events: list[ServerEvent] = []
    try:
        if _get(message, "setupComplete") is not None:
            events.append(SetupComplete())
        content = _get(message, "serverContent")
        if isinstance(content, Mapping):
            events.extend(_parse_server_content(content))
        tool_call = _get(message, "toolCall")
        if isinstance(tool_call, Mapping):
            events.append(_parse_tool_call(tool_call))
        cancellation = _get(message, "toolCallCancellation")
        if isinstance(cancellation, Mapping):
            ids = _get(cancellation, "ids") or []
            events.append(ToolCallCancellation(tuple(str(i) for i in ids)))
        go_away = _get(message, "goAway")
        if isinstance(go_away, Mapping):
            events.append(GoAway(parse_duration(_get(go_away, "timeLeft"))))
        update = _get(message, "sessionResumptionUpdate")
        if isinstance(update, Mapping):
            events.append(_parse_resumption_update(update))
        usage = _get(message, "usageMetadata")
        if isinstance(usage, Mapping):
            events.append(_parse_usage(usage))
    except (TypeError, ValueError, AttributeError) as exc:
        return [MalformedFrame(f"unexpected shape: {type(exc).__name__}")]
    return events


def _parse_server_content(content: Mapping[str, Any]) -> list[ServerEvent]:
    events: list[ServerEvent] = []
    transcription = _get(content, "inputTranscription")
    if isinstance(transcription, Mapping) and _get(transcription, "text"):
        events.append(
            InputTranscription(
                str(_get(transcription, "text")),
                _as_bool(_get(transcription, "finished")),
            )
        )
    model_turn = _get(content, "modelTurn")
    if isinstance(model_turn, Mapping):
        for part in _get(model_turn, "parts") or []:
            if not isinstance(part, Mapping):
                continue
            inline = _get(part, "inlineData")
            if isinstance(inline, Mapping) and isinstance(_get(inline, "data"), str):
                try:
                    data = decode_base64(_get(inline, "data"))
                except (binascii.Error, ValueError):
                    events.append(MalformedFrame("inlineData is not base64"))
                    continue
                mime = str(_get(inline, "mimeType") or "audio/pcm;rate=24000")
                events.append(ModelAudio(data, mime))
            text = _get(part, "text")
            if isinstance(text, str) and text and not _as_bool(_get(part, "thought")):
                events.append(ModelText(text))
    transcription = _get(content, "outputTranscription")
    if isinstance(transcription, Mapping) and _get(transcription, "text"):
        events.append(
            OutputTranscription(
                str(_get(transcription, "text")),
                _as_bool(_get(transcription, "finished")),
            )
        )
    if _as_bool(_get(content, "interrupted")):
        events.append(Interrupted())
    if _as_bool(_get(content, "generationComplete")):
        events.append(GenerationComplete())
    if _as_bool(_get(content, "turnComplete")):
        events.append(TurnComplete())
    return events


def _parse_tool_call(tool_call: Mapping[str, Any]) -> ToolCall:
    calls = []
    for call in _get(tool_call, "functionCalls") or []:
        if not isinstance(call, Mapping):
            continue
        args = _get(call, "args")
        calls.append(
            FunctionCall(
                id=str(_get(call, "id") or ""),
                name=str(_get(call, "name") or ""),
                args=args if isinstance(args, Mapping) else {},
            )
        )
    return ToolCall(tuple(calls))


def _parse_resumption_update(update: Mapping[str, Any]) -> SessionResumptionUpdate:
    handle = _get(update, "newHandle")
    return SessionResumptionUpdate(
        new_handle=handle if isinstance(handle, str) else "",
        resumable=_as_bool(_get(update, "resumable")),
    )


def _parse_usage(usage: Mapping[str, Any]) -> UsageMetadata:
    return UsageMetadata(
        prompt_tokens=_as_int(_get(usage, "promptTokenCount")) or 0,
        response_tokens=_as_int(_get(usage, "responseTokenCount")) or 0,
        total_tokens=_as_int(_get(usage, "totalTokenCount")) or 0,
        raw=dict(usage),
    )


@functools.cache  # a few dozen field names, looked up for every message
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def _get(obj: Mapping[str, Any], camel: str) -> Any:
    """Read a field by its lowerCamel or snake_case name (proto3 JSON accepts both)."""
    if camel in obj:
        return obj[camel]
    return obj.get(_snake(camel))


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return value is True


def _as_int(value: Any) -> int | None:
    # int64 fields may arrive as JSON strings.
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    if isinstance(value, float):
        return int(value)
    return None
