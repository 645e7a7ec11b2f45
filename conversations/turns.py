"""Aggregate Live's streaming transcription into one finished item per turn.

Deltas are shown to the browser as they arrive; the database gets one row per
finished turn (DESIGN.md: written once per turn, not per chunk). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FinishedTurn:
    role: str  # "user" or "assistant"
    content: str
    interrupted: bool = False


class TurnAggregator:
    """Collects the speech of one user turn and the reply that follows it."""

    def __init__(self) -> None:
        self._user: list[str] = []
        self._assistant: list[str] = []
        self._interrupted = False

    @property
    def in_progress(self) -> bool:
        return bool(self._user or self._assistant)

    def user_speech(self, text: str) -> None:
        """Input transcription of what the user is saying."""
        self._user.append(text)

    def assistant_output(self, text: str) -> list[FinishedTurn]:
        """Reply text (or its transcription); the user's speech is over by now."""
        finished = self._take_user()
        self._assistant.append(text)
        return finished

    def interrupted(self) -> None:
        self._interrupted = True

    def turn_complete(self) -> list[FinishedTurn]:
        """The model's turn ended: both sides of the exchange are final."""
        finished = self._take_user()
        content = "".join(self._assistant).strip()
        if content:
            finished.append(
                FinishedTurn("assistant", content, interrupted=self._interrupted)
            )
        self._assistant.clear()
        self._interrupted = False
        return finished

    def discard(self) -> None:
        """Forget a half-finished turn (the upstream went away mid-turn)."""
        self._user.clear()
        self._assistant.clear()
        self._interrupted = False

    def _take_user(self) -> list[FinishedTurn]:
        content = "".join(self._user).strip()
        self._user.clear()
        return [FinishedTurn("user", content)] if content else []
