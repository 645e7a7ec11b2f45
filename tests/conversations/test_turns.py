"""Streaming transcription becomes one stored item per finished turn."""

from conversations.turns import FinishedTurn, TurnAggregator


def test_spoken_exchange_yields_user_then_assistant_item():
    turns = TurnAggregator()
    turns.user_speech("What's the ")
    turns.user_speech("weather?")
    turns.assistant_output("It is ")
    turns.assistant_output("sunny.")
    assert turns.turn_complete() == [
        FinishedTurn("user", "What's the weather?"),
        FinishedTurn("assistant", "It is sunny."),
    ]
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


def test_speech_during_a_reply_to_speech_is_the_next_question():
    turns = TurnAggregator()
    turns.user_speech("Tell me a story")
    turns.assistant_output("Once upon a ")
    turns.user_speech("wait")  # barge-in
    turns.interrupted()
    assert turns.turn_complete() == [
        FinishedTurn("user", "Tell me a story"),
        FinishedTurn("assistant", "Once upon a", interrupted=True),
    ]
    turns.assistant_output("Yes?")
    assert turns.turn_complete() == [
        FinishedTurn("user", "wait"),
        FinishedTurn("assistant", "Yes?"),
    ]


def test_a_spoken_turn_cut_by_a_drop_is_not_stored_before_its_replay():
    turns = TurnAggregator()
    turns.user_speech("spoken once")
    turns.assistant_output("Half a rep")
    turns.discard()  # the connection dropped; Live hears the utterance again
    turns.user_speech("spoken once")
    turns.assistant_output("A whole reply.")
    assert turns.turn_complete() == [
        FinishedTurn("user", "spoken once"),
        FinishedTurn("assistant", "A whole reply."),
    ]


def test_speech_during_a_reply_to_a_typed_turn_is_the_next_question():
    turns = TurnAggregator()
    turns.typed_turn_sent()
    turns.assistant_output("About your ")
    turns.user_speech("stop")  # barge-in on the typed turn's reply
    turns.interrupted()
    assert turns.turn_complete() == [
        FinishedTurn("assistant", "About your", interrupted=True)
    ]
    turns.assistant_output("Stopped.")
    assert turns.turn_complete() == [
        FinishedTurn("user", "stop"),
        FinishedTurn("assistant", "Stopped."),
    ]
