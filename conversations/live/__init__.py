"""Gemini Live client library: protocol, upstream session, emulator. No Django."""

from __future__ import annotations

from .client import ConnectFailed, LiveConnection, open_connection
from .closecodes import CloseAction, classify_close
from .config import Compression, LiveConfig
from .protocol import (
    FunctionCall,
    FunctionResponse,
    GenerationComplete,
    GoAway,
    InputTranscription,
    Interrupted,
    MalformedFrame,
    ModelAudio,
    ModelText,
    OutputTranscription,
    ServerEvent,
    SessionResumptionUpdate,
    SetupComplete,
    ToolCall,
    ToolCallCancellation,
    TurnComplete,
    UsageMetadata,
    parse_server_frame,
)
from .session import (
    BaseLiveListener,
    LiveListener,
    LiveSession,
    SessionClosed,
    UserTurnSent,
)
from .tokens import TokenError, mint_token

__all__ = [
    "BaseLiveListener",
    "CloseAction",
    "Compression",
    "ConnectFailed",
    "FunctionCall",
    "FunctionResponse",
    "GenerationComplete",
    "GoAway",
    "InputTranscription",
    "Interrupted",
    "LiveConfig",
    "LiveConnection",
    "LiveListener",
    "LiveSession",
    "MalformedFrame",
    "ModelAudio",
    "ModelText",
    "OutputTranscription",
    "ServerEvent",
    "SessionClosed",
    "SessionResumptionUpdate",
    "SetupComplete",
    "TokenError",
    "ToolCall",
    "ToolCallCancellation",
    "TurnComplete",
    "UsageMetadata",
    "UserTurnSent",
    "classify_close",
    "mint_token",
    "open_connection",
    "parse_server_frame",
]
