"""A LiveSession listener that records everything, and helpers to wait on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from conversations.live import (
    ContextRestored,
    HandleIssued,
    LiveConfig,
    ModelText,
    RunClosed,
    RunOpened,
    SessionEvent,
    SessionWarning,
    StatusChanged,
    TurnComplete,
    UserTurnSent,
)

TEXT_MODEL = "gemini-3.1-flash-live-preview"
WAIT_S = 15.0  # a bound so that a broken rule fails the test instead of hanging


def fast_config(base_url: str, **overrides: Any) -> LiveConfig:
    """Limits short enough for tests; TEXT replies so that replies are easy to read."""
    config = LiveConfig(
        api_base=base_url,
        api_key="emulator-key",
        model=TEXT_MODEL,
        response_modality="TEXT",
        input_transcription=False,
        output_transcription=False,
        max_attempts=4,
        base_delay_s=0.01,
        max_delay_s=0.05,
        liveness_timeout_s=1.0,
        ping_interval_s=0.2,
        open_timeout_s=3.0,
        close_timeout_s=0.5,
        goaway_margin_s=0.2,
        session_cap_s=900.0,
    )
    return replace(config, **overrides)


class Recorder:
    """Records callbacks in order; `wait_for` blocks until a condition holds."""

    def __init__(self) -> None:
        self.statuses: list[tuple[str, dict[str, Any]]] = []
        self.connections: list[tuple[int, str]] = []
        self.closed: list[tuple[int, dict[str, Any]]] = []
        self.events: list[Any] = []
        self.handles: list[str] = []
        self.restored: list[str] = []
        self.warnings: list[tuple[str, str]] = []
        self.sent: list[UserTurnSent] = []
        self.replies: dict[Any, str] = {}  # turn id -> last complete reply
        self._current: Any = None
        self._buffer = ""
        self._changed = asyncio.Condition()

    async def _touch(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_S):
            async with self._changed:
                await self._changed.wait_for(condition)

    @property
    def status_names(self) -> list[str]:
        return [status for status, _ in self.statuses]

    async def on_event(self, event: SessionEvent) -> None:
        match event:
            case StatusChanged():
                details = {
                    "run_id": event.run_id,
                    "attempt": event.attempt,
                    "retry_in_ms": event.retry_in_ms,
                    "reason": event.reason,
                }
                self.statuses.append((event.status, details))
            case RunOpened(run_id=run_id, began=began):
                self.connections.append((run_id, began))
            case RunClosed(run_id=run_id):
                details = {
                    "reason": event.reason,
                    "code": event.code,
                    "close_reason": event.close_reason,
                }
                self.closed.append((run_id, details))
            case HandleIssued(handle=handle):
                self.handles.append(handle)
            case ContextRestored(source=source):
                self.restored.append(source)
            case SessionWarning(kind=kind, detail=detail):
                self.warnings.append((kind, detail))
            case _:
                self._server_event(event)
        await self._touch()

    def _server_event(self, event: Any) -> None:
        self.events.append(event)
        if isinstance(event, UserTurnSent):
            self.sent.append(event)
            self._current, self._buffer = event.turn_id, ""
        elif isinstance(event, ModelText):
            self._buffer += event.text
        elif isinstance(event, TurnComplete) and self._current is not None:
            self.replies[self._current] = self._buffer
            self._current = None


class Transcript:
    """What the caller stored: the user turns and their replies, to seed from."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.turns: list[tuple[Any, str]] = []
        self.excluded: list[list[Any]] = []

    async def seed(self, replay_ids: list[Any]) -> list[tuple[str, str]]:
        self.excluded.append(list(replay_ids))
        history: list[tuple[str, str]] = []
        for turn_id, text in self.turns:
            if turn_id in replay_ids:
                continue
            history.append(("user", text))
            if turn_id in self.recorder.replies:
                history.append(("model", self.recorder.replies[turn_id]))
        return history


def newest_session(snapshot: dict[str, Any]) -> dict[str, Any]:
    return snapshot["sessions"][-1]
