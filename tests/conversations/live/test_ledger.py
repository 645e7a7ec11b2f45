"""The ledger: what Live holds of the user's input, under any order of events."""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from conversations.live.ledger import Ledger, SpokenTurn, TypedTurn

NOW = datetime(2026, 11, 21, tzinfo=UTC)
SPEECH = struct.pack("<160h", *([8000, -8000] * 80))  # 10 ms, loud
SILENCE = b"\x00\x00" * 160


# -- a tiny model of Live, with messages in flight both ways ----------------------
@dataclass
class FakeLive:
    """Live's context and handles; a handle snapshots the context it was issued in."""

    context: list[int] = field(default_factory=list)
    handles: dict[str, tuple[int, ...]] = field(default_factory=dict)
    inbox: deque[tuple[str, object]] = field(default_factory=deque)
    outbox: deque[tuple[str, object]] = field(default_factory=deque)
    answering: deque[int] = field(default_factory=deque)

    def process_one(self) -> None:
        kind, body = self.inbox.popleft()
        if kind == "seed":
            self.context.extend(body)
        else:
            self.context.append(body)
            self.answering.append(body)

    def answer_one(self) -> None:
        turn = self.answering.popleft()
        self.outbox.append(("turn_complete", turn))

    def issue_handle(self) -> None:
        name = f"h{len(self.handles)}"
        self.handles[name] = tuple(self.context)
        self.outbox.append(("handle", name))


@dataclass
class Client:
    """Drives a Ledger the way LiveSession does, with a stored transcript."""

    ledger: Ledger = field(default_factory=Ledger)
    typed: list[int] = field(default_factory=list)
    answers: dict[int, int] = field(default_factory=dict)
    live: FakeLive = field(default_factory=FakeLive)
    restores: int = 0

    def type(self) -> None:
        turn_id = len(self.typed) + 1
        self.typed.append(turn_id)
        self.ledger.queue_text(turn_id, f"turn {turn_id}")
        self.pump()

    def pump(self) -> None:
        turn = self.ledger.next_text()
        if turn is not None:
            self.ledger.text_sent(turn)
            self.live.inbox.append(("text", turn.turn_id))

    def receive_one(self) -> None:
        kind, body = self.live.outbox.popleft()
        if kind == "turn_complete":
            turn = self.ledger.turn_complete()
            assert isinstance(turn, TypedTurn)
            assert turn.turn_id == body
            self.answers[body] = self.answers.get(body, 0) + 1
            self.pump()
        else:
            self.ledger.new_handle(str(body), NOW)

    def drop_and_reconnect(self) -> None:
        self.ledger.connection_lost()
        handle = self.ledger.handle
        old = self.live
        self.live = FakeLive(handles=old.handles)
        if handle is not None:
            self.live.context = list(old.handles[handle.value])
            self.ledger.connection_opened("resumed_with_handle", seeded=False)
        else:
            unanswered = set(self.ledger.unanswered_turn_ids)
            seed = [t for t in self.typed if t in self.answers and t not in unanswered]
            began = "restored_from_transcript" if seed else "new"
            self.ledger.connection_opened(began, seeded=bool(seed))
            if seed:
                self.restores += 1
                self.live.inbox.append(("seed", seed))
        self.live.issue_handle()  # Live issues one right after setup, as it does
        self.pump()

    def settle(self) -> None:
        for _ in range(10_000):
            if self.live.inbox:
                self.live.process_one()
            elif self.live.answering:
                self.live.answer_one()
            elif self.live.outbox:
                self.receive_one()
            else:
                return
        raise AssertionError("the conversation never settled")


ACTIONS = st.sampled_from(
    ["type", "process", "answer", "receive", "handle", "drop", "expire", "drop"]
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(ACTIONS, max_size=60))
# A drop right after a restore, with the handle Live issued before the seed.
@example(
    ["type", "process", "answer", "receive", "receive", "expire", "receive", "drop"]
)
# A drop between an answer and the handle that covers it.
@example(["type", "process", "answer", "receive", "receive", "drop"])
def test_any_order_of_events_answers_each_turn_once_with_full_context(actions):
    client = Client()
    client.live.issue_handle()
    for action in actions:
        live = client.live
        if action == "type":
            client.type()
        elif action == "process" and live.inbox:
            live.process_one()
        elif action == "answer" and live.answering:
            live.answer_one()
        elif action == "receive" and live.outbox:
            client.receive_one()
        elif action == "handle" and not live.answering:
            live.issue_handle()
        elif action == "drop":
            client.drop_and_reconnect()
        elif action == "expire":
            live.handles.clear()
            client.ledger.forget_handle()
            client.drop_and_reconnect()
    client.type()
    client.settle()
    # Every turn answered exactly once, and Live's context holds each turn once,
    # in order: nothing lost, nothing fed twice, nothing forgotten.
    assert client.answers == {turn: 1 for turn in client.typed}
    assert client.live.context == client.typed


# -- the rules, one by one ----------------------------------------------------------
def test_a_handle_issued_before_the_seed_was_answered_is_not_usable():
    ledger = Ledger()
    ledger.connection_opened("restored_from_transcript", seeded=True)
    assert ledger.new_handle("issued-at-setup", NOW) is False
    ledger.connection_lost()
    assert ledger.handle is None  # the next connection restores again


def test_a_seed_is_covered_by_a_handle_after_a_later_turn_was_answered():
    ledger = Ledger()
    ledger.connection_opened("restored_from_transcript", seeded=True)
    ledger.queue_text(1, "after the seed")
    ledger.text_sent(ledger.next_text())
    assert ledger.new_handle("before-the-answer", NOW) is False
    ledger.turn_complete()
    assert ledger.new_handle("after-the-answer", NOW) is True
    ledger.connection_lost()
    assert ledger.handle.value == "after-the-answer"


def test_an_answer_the_handle_missed_makes_the_next_connection_restore():
    ledger = Ledger()
    ledger.connection_opened("new", seeded=False)
    assert ledger.new_handle("h0", NOW)
    ledger.queue_text(1, "one")
    ledger.text_sent(ledger.next_text())
    ledger.turn_complete()
    ledger.connection_lost()  # before the handle that covers the answer
    assert ledger.handle is None
    assert ledger.unanswered_turn_ids == []


def test_unanswered_typed_turns_are_sent_again_in_order():
    ledger = Ledger()
    ledger.connection_opened("new", seeded=False)
    ledger.new_handle("h0", NOW)
    for turn_id in (1, 2):
        ledger.queue_text(turn_id, f"turn {turn_id}")
    first = ledger.next_text()
    ledger.text_sent(first)
    assert ledger.next_text() is None  # one turn at a time
    ledger.connection_lost()
    ledger.connection_opened("resumed_with_handle", seeded=False)
    again = ledger.next_text()
    assert again.turn_id == 1
    ledger.text_sent(again)
    assert again.sends == 2


def test_a_spoken_turn_takes_its_own_turn_complete():
    ledger = Ledger()
    ledger.connection_opened("new", seeded=False)
    ledger.audio(SPEECH)
    ledger.speech_heard()
    ledger.queue_text(1, "typed while the reply to speech streams")
    ledger.model_output()
    assert ledger.next_text() is None  # the spoken turn is answered first
    assert isinstance(ledger.turn_complete(), SpokenTurn)
    typed = ledger.next_text()
    ledger.text_sent(typed)
    assert ledger.turn_complete() is typed


def test_speech_that_interrupts_a_typed_reply_does_not_take_its_turn_complete():
    ledger = Ledger()
    ledger.connection_opened("new", seeded=False)
    ledger.queue_text(1, "typed")
    typed = ledger.next_text()
    ledger.text_sent(typed)
    ledger.model_output()
    ledger.audio(SPEECH)
    ledger.speech_heard()  # barge-in: the typed reply is cut
    assert ledger.turn_complete() is typed
    ledger.model_output()
    assert isinstance(ledger.turn_complete(), SpokenTurn)


def test_an_utterance_cut_by_a_drop_is_replayed_from_its_first_word():
    ledger = Ledger()
    ledger.connection_opened("new", seeded=False)
    for pcm in (SILENCE, SILENCE, SILENCE, SPEECH, SPEECH):
        ledger.audio(pcm)
    ledger.audio_ended()
    ledger.connection_lost()
    chunks, ended = ledger.audio_to_replay()
    assert chunks == [SILENCE, SPEECH, SPEECH]
    assert ended


def test_audio_live_answered_is_never_replayed():
    ledger = Ledger()
    ledger.connection_opened("new", seeded=False)
    ledger.audio(SPEECH)
    ledger.speech_heard()
    ledger.model_output()
    ledger.audio(SPEECH)  # the next utterance starts while the reply streams
    ledger.turn_complete()
    ledger.connection_lost()
    assert ledger.audio_to_replay() == ([SPEECH], False)


def test_silence_is_not_replayed():
    ledger = Ledger()
    for _ in range(5):
        ledger.audio(SILENCE)
    assert ledger.audio_to_replay() == ([], False)


def test_audio_kept_for_replay_is_bounded():
    ledger = Ledger(max_replay_s=0.05)  # five chunks of 10 ms
    results = [ledger.audio(SPEECH) for _ in range(8)]
    assert results == [True] * 5 + [False] * 3
    assert len(ledger.audio_to_replay()[0]) == 5


def test_a_turn_id_is_queued_once():
    ledger = Ledger()
    ledger.queue_text("a", "one")
    try:
        ledger.queue_text("a", "again")
    except ValueError:
        pass
    else:
        raise AssertionError("a duplicate turn id was accepted")


def test_a_typed_turn_waits_while_speech_is_not_registered_yet():
    ledger = Ledger()
    ledger.connection_opened("new", seeded=False)
    ledger.queue_text(1, "typed right after speaking")
    ledger.audio(SPEECH, now=10.0)
    # Live may have ended the utterance before the typed turn reaches it.
    assert ledger.next_text(now=10.5) is None
    assert ledger.speech_settles_in(10.5) > 0
    ledger.speech_heard(now=10.8)  # now it is booked first
    assert ledger.next_text(now=10.8) is None
    ledger.model_output()
    assert isinstance(ledger.turn_complete(), SpokenTurn)
    assert ledger.next_text(now=11.0).turn_id == 1


def test_speech_that_is_never_transcribed_holds_typed_turns_only_briefly():
    ledger = Ledger()
    ledger.queue_text(1, "typed")
    ledger.audio(SPEECH, now=10.0)
    assert ledger.next_text(now=11.0) is None
    assert ledger.next_text(now=12.5).turn_id == 1


def test_speech_transcribed_but_never_answered_stops_holding_typed_turns():
    ledger = Ledger()
    ledger.queue_text(1, "typed")
    ledger.speech_heard(now=10.0)
    assert ledger.next_text(now=12.0) is None
    assert ledger.next_text(now=19.0).turn_id == 1
