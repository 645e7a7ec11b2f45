"""Aggregate Live's streaming transcription into one finished item per turn.

Deltas are shown to the browser as they arrive; the database gets one row per
finished turn, never one per chunk. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FinishedTurn:
    role: str  # "user" or "assistant"
    content: str
    interrupted: bool = False


class TurnAggregator:
    """Collects the speech of one user turn and the reply that follows it.

    Both are stored together when the reply's turn completes: a turn cut by a
    lost connection is asked again from its start, so nothing of it is kept.
    """

    def __init__(self) -> None:
        self._user: list[str] = []
        self._question: str | None = None  # the speech the current reply answers
        self._typed_question = False  # the current reply answers a typed turn
        self._assistant: list[str] = []
        self._interrupted = False

    @property
    def in_progress(self) -> bool:
        return bool(self._user or self._assistant or self._question)

    def user_speech(self, text: str) -> None:
        """Input transcription of what the user is saying."""
        self._user.append(text)

    def typed_turn_sent(self) -> None:
        """The next reply answers a typed turn (stored already), not speech."""
        self._typed_question = True

    def assistant_output(self, text: str) -> None:
        """Reply text (or its transcription): the speech before it is its question."""
        if self._question is None and not self._typed_question:
            self._question = "".join(self._user).strip()
            self._user.clear()
        self._assistant.append(text)

    def interrupted(self) -> None:
        self._interrupted = True

    def turn_complete(self) -> list[FinishedTurn]:
        """The model's turn ended: both sides of the exchange are final.

        Speech heard after the reply began belongs to the question when a spoken
        question had none yet (its transcription came late); otherwise, and
        always after a typed question, it is a barge-in for the next turn.
        """
        question = self._question or ""
        if not question and not self._typed_question:
            question = "".join(self._user).strip()
            self._user.clear()
        finished = [FinishedTurn("user", question)] if question else []
        content = "".join(self._assistant).strip()
        if content:
            finished.append(
                FinishedTurn("assistant", content, interrupted=self._interrupted)
            )
        self._question = None
        self._typed_question = False
        self._assistant.clear()
        self._interrupted = False
        return finished

    def discard(self) -> None:
        """Forget a half-finished turn (the upstream went away mid-turn)."""
        self._user.clear()
        self._question = None
        self._typed_question = False
        self._assistant.clear()
        self._interrupted = False
