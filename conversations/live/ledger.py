"""What Live holds of the user's input, and what a new connection must send again.

Live's `lastConsumedClientMessageIndex` exists only with transparent resumption,
which the Developer API refuses, so the proxy keeps its own books. Pure: no I/O,
no clock of its own; `LiveSession` feeds it events in the order they happen.

* A user turn, typed or spoken, is *outstanding* from the moment Live has it
  (a typed turn is sent; a spoken one is heard: transcribed, or answered when no
  typed turn waits) until its `turnComplete`. Each `turnComplete` belongs to the
  oldest outstanding turn, so a spoken turn never takes a typed turn's.
* An answered turn is *covered* once a usable handle arrives after its reply.
* A connection that restored from the transcript owes its seed: a handle it
  issues is usable only after a turn sent after the seed was answered. Until
  then, a new connection restores from the transcript again.
* When a connection ends, turns that were answered but are not covered by the
  newest handle mean the handle misses context the transcript has: the next
  connection restores from the transcript. Otherwise it resumes with the handle.
* Typed turns not answered are sent again on the next connection, once, in
  order. Audio since the last answered spoken turn is kept (at most
  `max_replay_s`, in memory only) and replayed once into the next connection,
  from its first voiced chunk; audio Live has answered is never replayed.
"""

from __future__ import annotations

import sys
from array import array
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from .events import Began, TurnId

PCM16_BYTES_PER_SECOND = 16_000 * 2
# After speech, Live ends the utterance after a silence and then transcribes it:
# a typed turn sent before that may reach Live after the utterance while its
# transcription is still on the way, so typed turns wait this long for it.
SPEECH_SETTLE_S = 2.0
# An utterance Live transcribed but never began to answer stops holding typed
# turns back after this long (it was not a turn after all).
UNANSWERED_SPEECH_S = 8.0
# A chunk with a sample this loud holds speech (int16 scale; silence and room
# noise stay far below it). Leading chunks quieter than this are not replayed.
VOICED_PEAK = 700


@dataclass
class TypedTurn:
    turn_id: TurnId
    text: str
    state: Literal["pending", "sent", "answered"] = "pending"
    sends: int = 0


@dataclass
class SpokenTurn:
    """An utterance Live has heard; `cut` is where its audio ended in the buffer."""

    heard_at: float = 0.0
    cut: int | None = None  # set once Live starts answering it


Turn = TypedTurn | SpokenTurn


@dataclass(frozen=True)
class Handle:
    value: str
    issued_at: datetime | None  # None: unknown, so its age is not checked


@dataclass
class _AudioChunk:
    index: int
    pcm: bytes


@dataclass
class Ledger:
    """The books of one logical Live session across its connections."""

    max_replay_s: float = 15.0
    handle: Handle | None = None
    _typed: list[TypedTurn] = field(default_factory=list)
    _outstanding: list[Turn] = field(default_factory=list)
    _spoken_uncovered: int = 0
    _seed_owed: bool = False
    _seed_repaid: bool = False
    _audio: deque[_AudioChunk] = field(default_factory=deque)
    _audio_bytes: int = 0
    _next_audio_index: int = 0
    _audio_ended: bool = False
    _voiced_at: float | None = None  # speech Live has not said it heard yet

    # -- what the caller asks ---------------------------------------------------
    @property
    def unanswered_turn_ids(self) -> list[TurnId]:
        """Typed turns Live has not answered, in order: not part of any seed."""
        return [turn.turn_id for turn in self._typed if turn.state != "answered"]

    @property
    def uncovered_turn_ids(self) -> list[TurnId]:
        """Typed turns the newest handle does not cover yet, in order."""
        return [turn.turn_id for turn in self._typed]

    @property
    def idle(self) -> bool:
        """A turn boundary: nothing outstanding, nothing the newest handle misses."""
        return (
            not self._outstanding
            and not self._spoken_uncovered
            and not self._seed_owed
            and not any(turn.state == "answered" for turn in self._typed)
        )

    def holds(self, turn_id: TurnId) -> bool:
        return any(turn.turn_id == turn_id for turn in self._typed)

    # -- input ------------------------------------------------------------------
    def queue_text(self, turn_id: TurnId, text: str) -> None:
        if self.holds(turn_id):
            raise ValueError(f"turn id {turn_id!r} is already queued")
        self._typed.append(TypedTurn(turn_id, text))

    def next_text(self, now: float = 0.0) -> TypedTurn | None:
        """The typed turn to send now: one at a time, after every earlier answer.

        None too while speech Live has not registered is settling (see
        `speech_settles_in`).
        """
        self._outstanding = [
            turn
            for turn in self._outstanding
            if not (_unanswered_speech(turn) and self._expired(turn, now))
        ]
        if self._outstanding or self.speech_settles_in(now) > 0:
            return None
        return next((t for t in self._typed if t.state == "pending"), None)

    def speech_settles_in(self, now: float) -> float:
        """Seconds until speech no longer holds typed turns back (0: it does not).

        Speech Live has not registered holds them `SPEECH_SETTLE_S`; speech it
        transcribed but does not answer, `UNANSWERED_SPEECH_S`.
        """
        waits = [0.0]
        if self._voiced_at is not None:
            waits.append(self._voiced_at + SPEECH_SETTLE_S - now)
        waits += [
            turn.heard_at + UNANSWERED_SPEECH_S - now
            for turn in self._outstanding
            if isinstance(turn, SpokenTurn) and turn.cut is None
        ]
        return max(waits)

    @staticmethod
    def _expired(turn: SpokenTurn | TypedTurn, now: float) -> bool:
        return isinstance(turn, SpokenTurn) and (
            now - turn.heard_at >= UNANSWERED_SPEECH_S
        )

    def text_sent(self, turn: TypedTurn) -> None:
        turn.state = "sent"
        turn.sends += 1
        self._outstanding.append(turn)

    def audio(self, pcm: bytes, now: float = 0.0) -> bool:
        """Keep a chunk of microphone audio; False when older audio had to go."""
        if _voiced(pcm):
            self._voiced_at = now
        self._audio.append(_AudioChunk(self._next_audio_index, pcm))
        self._next_audio_index += 1
        self._audio_bytes += len(pcm)
        self._audio_ended = False
        limit = self.max_replay_s * PCM16_BYTES_PER_SECOND
        trimmed = False
        while self._audio_bytes > limit and len(self._audio) > 1:
            self._audio_bytes -= len(self._audio.popleft().pcm)
            trimmed = True
        return not trimmed

    def audio_ended(self) -> None:
        """The microphone stopped: a replay of its audio ends the same way."""
        self._audio_ended = True

    # -- what Live says -----------------------------------------------------------
    def speech_heard(self, now: float = 0.0) -> None:
        """A transcription of the user's speech arrived."""
        self._voiced_at = None
        spoken = [t for t in self._outstanding if isinstance(t, SpokenTurn)]
        if spoken and spoken[-1].cut is None:
            spoken[-1].heard_at = now  # more words of the utterance
            return
        self._outstanding.append(SpokenTurn(heard_at=now))

    def model_output(self) -> None:
        """Live is answering: the oldest outstanding turn's input is complete."""
        if not self._outstanding:
            # An answer to nothing typed: Live heard speech it has not transcribed.
            self._voiced_at = None
            self._outstanding.append(SpokenTurn())
        oldest = self._outstanding[0]
        if isinstance(oldest, SpokenTurn) and oldest.cut is None:
            oldest.cut = self._next_audio_index

    def turn_complete(self) -> Turn | None:
        """The oldest outstanding turn was answered; returns it (None: no turn)."""
        if not self._outstanding:
            return None
        turn = self._outstanding.pop(0)
        if isinstance(turn, TypedTurn):
            turn.state = "answered"
        else:
            cut = turn.cut if turn.cut is not None else self._next_audio_index
            self._forget_audio_before(cut)
            self._spoken_uncovered += 1
        if self._seed_owed:
            self._seed_repaid = True
        return turn

    def new_handle(self, value: str, issued_at: datetime) -> bool:
        """A resumable handle arrived; returns whether it is usable (and kept)."""
        if self._seed_owed:
            if not self._seed_repaid:
                return False
            self._seed_owed = self._seed_repaid = False
        self.handle = Handle(value, issued_at)
        self._typed = [turn for turn in self._typed if turn.state != "answered"]
        self._spoken_uncovered = 0
        return True

    def forget_handle(self) -> None:
        self.handle = None

    def handle_expired(self, now: datetime, lifetime_s: float) -> bool:
        """Whether the newest handle is older than Live keeps handles."""
        issued_at = self.handle.issued_at if self.handle else None
        return issued_at is not None and (now - issued_at).total_seconds() >= lifetime_s

    # -- connections --------------------------------------------------------------
    def connection_opened(self, began: Began, *, seeded: bool) -> None:
        """A connection is set up; `seeded`: it was sent the stored history."""
        self._outstanding.clear()
        self._spoken_uncovered = 0  # a resume never follows one (connection_lost)
        if began != Began.RESUMED_WITH_HANDLE:
            # The history holds every answered turn; the rest are replayed.
            self._typed = [turn for turn in self._typed if turn.state != "answered"]
        self._seed_owed = seeded
        self._seed_repaid = False
        for turn in self._typed:
            turn.state = "pending"

    def connection_lost(self) -> None:
        """The connection ended; decide whether its handle may be resumed."""
        answered_uncovered = self._spoken_uncovered or any(
            turn.state == "answered" for turn in self._typed
        )
        if self._seed_owed or answered_uncovered:
            self.handle = None
        self._outstanding.clear()
        for turn in self._typed:
            if turn.state == "sent":
                turn.state = "pending"

    def audio_to_replay(self) -> tuple[list[bytes], bool]:
        """Unanswered audio from its first voiced chunk, and whether the mic ended.

        Nothing when no chunk holds speech: silence is not worth sending again.
        """
        chunks = list(self._audio)
        first_voiced = next(
            (i for i, chunk in enumerate(chunks) if _voiced(chunk.pcm)), None
        )
        if first_voiced is None:
            return [], False
        # One quiet chunk of lead-in keeps the start of the word.
        start = max(0, first_voiced - 1)
        return [chunk.pcm for chunk in chunks[start:]], self._audio_ended

    def _forget_audio_before(self, index: int) -> None:
        while self._audio and self._audio[0].index < index:
            self._audio_bytes -= len(self._audio.popleft().pcm)


def _unanswered_speech(turn: SpokenTurn | TypedTurn) -> bool:
    return isinstance(turn, SpokenTurn) and turn.cut is None


def _voiced(pcm: bytes) -> bool:
    samples = array("h", pcm[: len(pcm) - len(pcm) % 2])
    if sys.byteorder == "big":
        samples.byteswap()  # the wire is little-endian
    return bool(samples) and max(max(samples), -min(samples)) >= VOICED_PEAK
