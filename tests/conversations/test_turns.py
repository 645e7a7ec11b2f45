"""Streaming transcription becomes one stored item per finished turn."""

from conversations.turns import FinishedTurn, TurnAggregator


def test_spoken_exchange_yields_user_then_assistant_item():
    turns = TurnAggregator()
    turns.user_speech("What's the ")
    turns.user_speech("weather?")
    assert turns.assistant_output("It is ") == [
        FinishedTurn("user", "What's the weather?")
    ]
    turns.assistant_output("sunny.")
    assert turns.turn_complete() == [FinishedTurn("assistant", "It is sunny.")]
    assert not turns.in_progress


def test_late_user_transcription_is_still_stored_before_the_reply():
    turns = TurnAggregator()
    turns.assistant_output("Sure.")
    turns.user_speech("hello")
    assert turns.turn_complete() == [
        FinishedTurn("user", "hello"),
        FinishedTurn("assistant", "Sure."),
    ]


def test_interrupted_reply_is_stored_as_said_and_marked():
    turns = TurnAggregator()
    turns.assistant_output("Once upon a ")
    turns.interrupted()
    assert turns.turn_complete() == [
        FinishedTurn("assistant", "Once upon a", interrupted=True)
    ]
    turns.assistant_output("Next.")
    assert turns.turn_complete() == [FinishedTurn("assistant", "Next.")]


def test_discarded_turn_leaves_nothing_behind():
    turns = TurnAggregator()
    turns.user_speech("half a sen")
    turns.assistant_output("Rep")
    turns.discard()
    assert turns.turn_complete() == []


def test_turn_with_no_text_stores_nothing():
    assert TurnAggregator().turn_complete() == []
