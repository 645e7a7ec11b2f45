"""Wire rules of the Live service: message schema, casing, base64, close reasons.

Client frames are proto3 JSON, so every field may arrive in lowerCamel or in the
original snake_case. ``normalize`` checks a message against the schema below and
returns it with snake_case keys at every message level, or raises ``WireError``
carrying the close code and reason the real service would use.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

# Close codes and reasons (gemini-live-protocol.md §4.3, §4.4).
INVALID_PAYLOAD = 1007
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011

UNREGISTERED_CALLER = (
    "Method doesn't allow unregistered callers (callers without established "
    "identity). Please use API Key or other form of API consumer identity to call "
    "this API."
)
INVALID_API_KEY = "API key not valid. Please pass a valid API key."
INVALID_ARGUMENT = "Request contains an invalid argument."
NOT_FOUND = "Requested entity was not found."
UNAVAILABLE = "The service is currently unavailable."
DEADLINE_EXPIRED = "Deadline expired before operation could complete."
MAX_REASON_BYTES = 123

# §5: ids the service knows; everything else, including shut-down ids, is 1008.
LIVE_MODELS = frozenset(
    {
        "gemini-3.8-live",
        "gemini-3.8-live-extended-thinking",
        "gemini-3.5-transcribe-live",
        "gemini-3.1-flash-live-preview",
        "gemini-2.5-flash-native-audio-preview-12-2025",
        "gemini-2.5-flash-native-audio-preview-09-2025",
        "gemini-2.5-flash-native-audio-latest",
    }
)
# §5: "AUDIO response only (text via outputAudioTranscription)".
AUDIO_ONLY_MODELS = frozenset({"gemini-3.8-live", "gemini-3.8-live-extended-thinking"})
MODALITIES = frozenset({"TEXT", "AUDIO"})


class WireError(Exception):
    """A client message the service refuses, with the close it answers with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def truncate_reason(reason: str) -> str:
    """Cut a close reason to the 123-byte WebSocket limit on a UTF-8 boundary."""
    encoded = reason.encode()
    if len(encoded) <= MAX_REASON_BYTES:
        return reason
    return encoded[:MAX_REASON_BYTES].decode(errors="ignore")


def model_not_found(model: str, api_version: str) -> str:
    return (
        f"models/{model.removeprefix('models/')} is not found for API version "
        f"{api_version}, or is not supported for bidiGenerateContent. Call ListModels "
        "to see the list of available models and their supported methods."
    )


def format_duration(seconds: float) -> str:
    """Format a protobuf Duration in its JSON form: 0, 3, 6 or 9 fraction digits."""
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{seconds:.3f}s" if round(seconds, 3) == seconds else f"{seconds:.6f}s"


def decode_base64(data: Any, path: str) -> bytes:
    """Decode standard or URL-safe base64, padding optional."""
    if not isinstance(data, str):
        raise WireError(INVALID_PAYLOAD, f"Invalid value at '{path}' (TYPE_BYTES)")
    text = data.replace("-", "+").replace("_", "/").strip()
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise WireError(
            INVALID_PAYLOAD, f"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding"
        ) from error


def encode_base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# Schema: a dict is a message; LEAF a scalar (or list of scalars); ANY a free
# Struct/Value; a one-item list a repeated message.
LEAF = "leaf"
ANY = "any"

BLOB = {"mime_type": LEAF, "data": LEAF, "display_name": LEAF}
PART = {
    "text": LEAF,
    "inline_data": BLOB,
    "file_data": ANY,
    "function_call": ANY,
    "function_response": ANY,
    "executable_code": ANY,
    "code_execution_result": ANY,
    "thought": LEAF,
    "thought_signature": LEAF,
}
CONTENT = {"role": LEAF, "parts": [PART]}
FUNCTION_DECLARATION = {
    "name": LEAF,
    "description": LEAF,
    "behavior": LEAF,
    "parameters": ANY,
    "parameters_json_schema": ANY,
    "response": ANY,
    "response_json_schema": ANY,
}
TOOL = {
    "function_declarations": [FUNCTION_DECLARATION],
    "google_search": ANY,
    "google_search_retrieval": ANY,
    "code_execution": ANY,
    "url_context": ANY,
    "google_maps": ANY,
    "computer_use": ANY,
    "file_search": ANY,
}
GENERATION_CONFIG = {
    "candidate_count": LEAF,
    "max_output_tokens": LEAF,
    "temperature": LEAF,
    "top_p": LEAF,
    "top_k": LEAF,
    "seed": LEAF,
    "presence_penalty": LEAF,
    "frequency_penalty": LEAF,
    "response_modalities": LEAF,
    "media_resolution": LEAF,
    "speech_config": {
        "voice_config": {"prebuilt_voice_config": {"voice_name": LEAF}},
        "multi_speaker_voice_config": ANY,
        "language_code": LEAF,
    },
    "thinking_config": {
        "include_thoughts": LEAF,
        "thinking_budget": LEAF,
        "thinking_level": LEAF,
    },
    "enable_affective_dialog": LEAF,
    "stop_sequences": LEAF,
    "response_mime_type": LEAF,
    "response_schema": ANY,
    "response_json_schema": ANY,
    "response_logprobs": LEAF,
    "logprobs": LEAF,
    "audio_timestamp": LEAF,
    "routing_config": ANY,
}
SETUP = {
    "model": LEAF,
    "generation_config": GENERATION_CONFIG,
    "system_instruction": CONTENT,
    "tools": [TOOL],
    "realtime_input_config": {
        "automatic_activity_detection": {
            "disabled": LEAF,
            "start_of_speech_sensitivity": LEAF,
            "end_of_speech_sensitivity": LEAF,
            "prefix_padding_ms": LEAF,
            "silence_duration_ms": LEAF,
        },
        "activity_handling": LEAF,
        "turn_coverage": LEAF,
    },
    # No "transparent": the Developer API's proto has no such field (§2.1).
    "session_resumption": {"handle": LEAF},
    "context_window_compression": {
        "trigger_tokens": LEAF,
        "sliding_window": {"target_tokens": LEAF},
    },
    "input_audio_transcription": {},
    "output_audio_transcription": {},
    "proactivity": {"proactive_audio": LEAF},
    "history_config": {"initial_history_in_client_content": LEAF},
    "safety_settings": [{"category": LEAF, "threshold": LEAF}],
}
CLIENT_MESSAGE = {
    "setup": SETUP,
    "client_content": {"turns": [CONTENT], "turn_complete": LEAF},
    "realtime_input": {
        "media_chunks": [BLOB],
        "audio": BLOB,
        "video": BLOB,
        "text": LEAF,
        "audio_stream_end": LEAF,
        "activity_start": {},
        "activity_end": {},
    },
    "tool_response": {
        "function_responses": [
            {
                "id": LEAF,
                "name": LEAF,
                "response": ANY,
                "parts": ANY,
                "scheduling": LEAF,
                "will_continue": LEAF,
            }
        ]
    },
}

_UPPER = re.compile(r"([A-Z])")


def snake_case(name: str) -> str:
    return _UPPER.sub(r"_\1", name).lower()


def _unknown(name: str, path: str) -> WireError:
    where = f" at '{path}'" if path else ""
    return WireError(
        INVALID_PAYLOAD,
        f'Invalid JSON payload received. Unknown name "{name}"{where}: '
        "Cannot find field.",
    )


def _invalid(path: str, value: Any) -> WireError:
    shown = json.dumps(value)[:40]
    return WireError(
        INVALID_PAYLOAD,
        f"Invalid JSON payload received. Invalid value at '{path}', {shown}",
    )


def normalize(message: Any, schema: dict[str, Any], path: str = "") -> dict[str, Any]:
    """Check ``message`` against ``schema``; return it with snake_case keys."""
    if not isinstance(message, dict):
        raise _invalid(path or "message", message)
    result: dict[str, Any] = {}
    for key, value in message.items():
        name = snake_case(key)
        if name not in schema:
            raise _unknown(key, path)
        field_path = f"{path}.{name}" if path else name
        result[name] = _normalize_value(value, schema[name], field_path)
    return result


def _normalize_value(value: Any, kind: Any, path: str) -> Any:
    if kind == ANY:
        return value
    if kind == LEAF:
        if isinstance(value, dict) or (
            isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
        ):
            raise _invalid(path, value)
        return value
    if isinstance(kind, list):
        if not isinstance(value, list):
            raise _invalid(path, value)
        return [
            normalize(item, kind[0], f"{path}[{index}]")
            for index, item in enumerate(value)
        ]
    return normalize(value, kind, path)


def parse_client_message(raw: str | bytes) -> tuple[str, dict[str, Any]]:
    """Parse one client frame into (message type, normalized body)."""
    try:
        message = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise WireError(
            INVALID_PAYLOAD, "Invalid JSON payload received. Unexpected token."
        ) from error
    if not isinstance(message, dict):
        raise WireError(
            INVALID_PAYLOAD, "Invalid JSON payload received. Expected an object."
        )
    normalized = normalize(message, CLIENT_MESSAGE)
    if len(normalized) != 1:
        raise WireError(
            INVALID_PAYLOAD,
            f"{INVALID_ARGUMENT} A client message holds exactly one of setup, "
            "clientContent, realtimeInput, toolResponse.",
        )
    ((kind, body),) = normalized.items()
    if not isinstance(body, dict):
        raise _invalid(kind, body)
    return kind, body


def encode_server_message(message: dict[str, Any]) -> bytes:
    """Serialize a server message; the service sends UTF-8 JSON in binary frames."""
    return json.dumps(message, separators=(",", ":")).encode()


def content_text(content: dict[str, Any]) -> str:
    """Join the text parts of a normalized Content."""
    return "".join(
        part["text"]
        for part in content.get("parts") or []
        if isinstance(part.get("text"), str)
    )
