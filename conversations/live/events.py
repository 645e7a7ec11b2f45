"""What a `LiveSession` tells its listener: one typed stream of frozen events.

The enums are shared with the models (`Run.began`, `Run.end_reason`), so a value
the session reports and one the database accepts cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from .protocol import ServerEvent

TurnId = Hashable


class Status(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    DISCONNECTING = "disconnecting"
    DISCONNECTED = "disconnected"


class Began(StrEnum):
    """How a run (one upstream connection) began."""

    NEW = "new"
    RESUMED_WITH_HANDLE = "resumed_with_handle"
    RESTORED_FROM_TRANSCRIPT = "restored_from_transcript"


class EndReason(StrEnum):
    """Why a run ended."""

    GOAWAY = "goaway"
    NETWORK = "network"
    USER = "user"
    DEVICE_SWITCH = "device_switch"
    HANDLE_EXPIRED = "handle_expired"
    BROWSER_LEFT = "browser_left"
    IDLE = "idle"  # paused: nobody spoke or typed for a while
    ERROR = "error"
    # Recorded by the database, never by a session: its worker died with it.
    WORKER_LOST = "worker_lost"


class StopReason(StrEnum):
    """Why the session stopped (the reason of status `disconnected`)."""

    USER = "user"
    DEVICE_SWITCH = "device_switch"
    BROWSER_LEFT = "browser_left"
    IDLE = "idle"  # paused while quiet; the next input resumes it
    GAVE_UP = "gave_up"
    ERROR = "error"


class ContextSource(StrEnum):
    HANDLE = "handle"  # Live kept its context
    TRANSCRIPT = "transcript"  # rebuilt from the stored transcript


class WarningKind(StrEnum):
    SESSION_CAP = "session_cap"  # the uncompressed session cap is near
    AUDIO_DROPPED = "audio_dropped"  # more audio came while away than is kept
    TOOL_RESPONSE_DROPPED = "tool_response_dropped"


@dataclass(frozen=True)
class StatusChanged:
    """`run_id` is the newest run the session opened (None before its first)."""

    status: Status
    run_id: int | None = None
    attempt: int | None = None
    retry_in_ms: int | None = None
    reason: StopReason | None = None


@dataclass(frozen=True)
class RunOpened:
    """A connection is set up. The listener records it before anyone is told.

    `seed_items`: how many history items seeded it (restored from a transcript).
    """

    run_id: int
    began: Began
    seed_items: int = 0


@dataclass(frozen=True)
class RunClosed:
    """A run ended; `by` says who closed it: `client`, `server` or `network`."""

    run_id: int
    reason: EndReason
    code: int | None
    close_reason: str
    by: str = "server"


@dataclass(frozen=True)
class AttemptFailed:
    """A connection attempt failed before a run opened.

    `stage`: `token` (no credential), `handshake` or `setup`.
    """

    attempt: int
    stage: str
    code: int | None
    reason: str


@dataclass(frozen=True)
class HandleUpdate:
    """Live said whether the session is resumable now; never carries the handle.

    `usable`: a new handle arrived and it covers everything answered.
    """

    resumable: bool
    usable: bool


@dataclass(frozen=True)
class HandleIssued:
    """A usable resumption handle, to persist server-side (never to show)."""

    handle: str
    issued_at: datetime

    def __repr__(self) -> str:
        return f"HandleIssued(issued_at={self.issued_at!r})"


@dataclass(frozen=True)
class ContextRestored:
    source: ContextSource


@dataclass(frozen=True)
class SessionWarning:
    kind: WarningKind
    detail: str


@dataclass(frozen=True)
class UserTurnSent:
    """A typed turn reached Live (`replayed`: sent again after a resume)."""

    turn_id: TurnId
    text: str
    replayed: bool


SessionEvent = (
    StatusChanged
    | RunOpened
    | RunClosed
    | AttemptFailed
    | HandleUpdate
    | HandleIssued
    | ContextRestored
    | SessionWarning
    | UserTurnSent
    | ServerEvent
)


class LiveListener(Protocol):
    async def on_event(self, event: SessionEvent) -> None: ...
