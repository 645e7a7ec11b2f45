"""Server-side state of the emulator: Live sessions, resumption handles, tokens."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Turn:
    role: str  # "user" or "model"
    text: str


@dataclass
class EmulatedSession:
    """One Live session: its context survives across connections via handles."""

    id: str
    model: str
    created_at: float = field(default_factory=time.monotonic)
    context: list[Turn] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    interrupted: list[bool] = field(default_factory=list)
    connections: int = 0
    resumed_connections: int = 0
    seeded_turns: int = 0
    open_connections: int = 0
    last_connection_ended_at: float | None = None
    ended: bool = False

    @property
    def user_turns(self) -> list[str]:
        return [turn.text for turn in self.context if turn.role == "user"]

    def ground_truth(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "model": self.model,
            "user_turns": self.user_turns,
            "replies": list(self.replies),
            # Parallel to "replies": True where barge-in cut the reply short and
            # the reply holds only the part that was streamed.
            "interrupted": list(self.interrupted),
            "connections": self.connections,
            "resumed_connections": self.resumed_connections,
            "seeded_turns": self.seeded_turns,
            "open_connections": self.open_connections,
            "ended": self.ended,
        }


@dataclass(frozen=True)
class Handle:
    session: EmulatedSession
    context: tuple[Turn, ...]
    seeded_turns: int
    generation: int


class HandleRegistry:
    """Opaque resumption handles; each snapshots its session's context."""

    def __init__(self, lifetime_s: float) -> None:
        self.lifetime_s = lifetime_s
        self._handles: dict[str, Handle] = {}
        self._generation = 0
        # Every name ever issued, expired ones too: what must never leak.
        self.issued: list[str] = []

    def issue(self, session: EmulatedSession) -> str:
        name = "Cg" + secrets.token_urlsafe(24)
        self.issued.append(name)
        self._handles[name] = Handle(
            session, tuple(session.context), session.seeded_turns, self._generation
        )
        return name

    def resolve(self, name: str) -> Handle | None:
        """The live handle called ``name``, or None if unknown, expired or revoked."""
        handle = self._handles.get(name)
        if handle is None or handle.generation != self._generation:
            return None
        session = handle.session
        if session.ended:
            return None
        ended_at = session.last_connection_ended_at
        if session.open_connections == 0 and ended_at is not None:
            if time.monotonic() - ended_at > self.lifetime_s:
                return None
        return handle

    def expire_all(self) -> int:
        """Invalidate every handle issued so far; return how many there were."""
        count = len(self._handles)
        self._handles.clear()
        self._generation += 1
        return count


@dataclass
class AuthToken:
    """An ephemeral token minted by ``POST /v1alpha/auth_tokens``."""

    name: str
    uses: int  # 0 = unlimited
    expire_time: float  # epoch seconds
    new_session_expire_time: float
    setup: dict[str, Any] | None  # normalized bidiGenerateContentSetup
    field_mask: list[str] | None  # snake_case dotted paths; None locks everything
    used: int = 0

    def spent(self) -> bool:
        return self.uses != 0 and self.used >= self.uses


@dataclass
class TokenLedger:
    tokens: dict[str, AuthToken] = field(default_factory=dict)
    minted: int = 0
    accepted: int = 0
    refused: int = 0
    failing_mints: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "minted": self.minted,
            "accepted": self.accepted,
            "refused": self.refused,
        }
