"""Runs, events and turns become per-run summaries and a continuity verdict."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conversations import inspector
from conversations.inspector import Ending, TurnRecord

from .records import at, event, run, session


# -- how a run is coloured -----------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "code", "expected"),
    [
        ("goaway", 1000, Ending.GOAWAY),
        ("network", 1006, Ending.NETWORK),
        ("error", None, Ending.ERROR),
        ("network", 1011, Ending.ERROR),
        ("user", 1000, Ending.USER),
        ("device_switch", 4001, Ending.DEVICE_SWITCH),
        ("browser_left", 1001, Ending.BROWSER_LEFT),
        ("handle_expired", 1008, Ending.HANDLE_EXPIRED),
        ("worker_lost", None, Ending.WORKER_LOST),
        ("", None, Ending.UNKNOWN),
    ],
)
def test_a_run_is_classified_by_its_end_reason_and_1011(reason, code, expected):
    assert inspector.classify(run(0, 0, 10, reason, code=code)) is expected


def test_an_open_run_and_a_run_followed_by_a_give_up():
    assert inspector.classify(run(0, 0, None)) is Ending.OPEN
    ended = run(0, 0, 10, "network")
    assert inspector.classify(ended, gave_up_after=True) is Ending.GAVE_UP


# -- summaries -----------------------------------------------------------------
def test_summaries_place_events_between_runs_in_the_gap_they_happened_in():
    runs = [run(0, 0, 10, began="new"), run(1, 14, 30), run(2, 40, 50)]
    events = [
        event(0, "setup", 0, began="new", seed_items=0),
        event(11, "attempt_failed", attempt=1, stage="token", code=None, reason="x"),
        event(12, "reconnect", attempt=2, delay_ms=800),
        event(31, "reconnect", attempt=1, delay_ms=500),
        event(55, "gave_up", reason="gave_up", detail=""),
    ]
    summaries = inspector.summarise(session(runs, events))
    assert [e.kind for e in summaries[1].before] == ["attempt_failed", "reconnect"]
    assert [e.kind for e in summaries[2].before] == ["reconnect"]
    assert [e.kind for e in summaries[2].after] == ["gave_up"]
    assert summaries[0].after == []
    assert [e.kind for e in summaries[0].events] == ["setup"]
    assert summaries[2].ending is Ending.GAVE_UP
    assert summaries[1].ending is Ending.NETWORK


def test_summary_counts_turns_tokens_seed_and_replays_and_measures_recovery():
    runs = [
        run(0, 0, 10, began="new"),
        run(1, 12.5, None, began="restored_from_transcript"),
    ]
    events = [
        event(12.5, "setup", 1, began="restored_from_transcript", seed_items=4),
        event(13, "user_turn", 1, seq=5, replayed=True),
        event(14, "usage", 1, prompt=90, response=30, total=120),
        event(15, "usage", 1, prompt=10, response=5, total=15),
        event(16, "user_turn", 1, seq=7, replayed=False),
    ]
    turns = [
        TurnRecord(5, "user", at(13), 1),
        TurnRecord(6, "assistant", at(14), 1, interrupted=True),
        TurnRecord(7, "user", at(16), None),  # stored without its run: placed by time
    ]
    first, second = inspector.summarise(session(runs, events, turns, now=20))
    assert first.recovery is None
    assert second.recovery == timedelta(seconds=2.5)
    assert second.duration == timedelta(seconds=7.5)  # open: until now
    assert (second.user_turns, second.replies, second.interrupted_replies) == (2, 1, 1)
    assert second.tokens == 135
    assert second.seed_items == 4
    assert second.replayed_turns == 1
    assert second.ended_why == "Still open"


def test_ended_why_names_the_reason_and_a_give_up_after_it():
    summaries = inspector.summarise(
        session([run(0, 0, 10, "network")], [event(20, "gave_up", reason="gave_up")])
    )
    assert summaries[0].ended_why == "Network drop, then gave up"


def test_bad_event_data_does_not_break_the_summary():
    runs = [run(0, 0, 10, began="new")]
    events = [
        event(1, "usage", 0, total="lots"),
        event(2, "usage", 0, total=True),
        event(3, "setup", 0),
        event(4, "mystery", 0, colour="blue"),
    ]
    (summary,) = inspector.summarise(session(runs, events))
    assert summary.tokens == 0
    assert summary.seed_items is None
    assert inspector.describe_event(events[3]) == "mystery: colour=blue"


# -- verdict -------------------------------------------------------------------
def verdict(runs, events=(), turns=()):
    s = session(runs, events, turns)
    return inspector.continuity(s, inspector.summarise(s))


def test_verdict_context_kept_when_every_reconnect_resumed_with_a_handle():
    result = verdict([run(0, 0, 10, "goaway", began="new"), run(1, 11, 20, "user")])
    assert result.level == "ok"
    assert result.headline.startswith("Context kept: 1 reconnect")
    assert result.restores == []
    assert result.give_ups == []


def test_verdict_counts_restores_their_seeds_and_replies_after_them():
    runs = [
        run(0, 0, 10, "handle_expired", began="new"),
        run(1, 12, 30, "user", began="restored_from_transcript"),
    ]
    events = [
        event(12, "setup", 1, seed_items=2),
        event(13, "user_turn", 1, seq=3, replayed=True),
    ]
    turns = [
        TurnRecord(1, "user", at(1), 0),
        TurnRecord(2, "assistant", at(2), 0),
        TurnRecord(3, "user", at(13), 1),
        TurnRecord(4, "assistant", at(14), 1),
        TurnRecord(5, "user", at(15), 1),
        TurnRecord(6, "assistant", at(16), 1, interrupted=True),
    ]
    result = verdict(runs, events, turns)
    assert result.level == "warn"
    assert "rebuilt from the stored transcript once" in result.headline
    (restore,) = result.restores
    assert (restore.run_id, restore.seed_items, restore.stored_before) == (1, 2, 2)
    assert not restore.partial
    assert result.replies_after_restore == 2
    assert result.replayed_turns == 1


def test_verdict_warns_when_a_seed_left_stored_items_out():
    runs = [
        run(0, 0, 10, "handle_expired", began="new"),
        run(1, 12, 30, "user", began="restored_from_transcript"),
    ]
    turns = [TurnRecord(n, "user", at(n), 0) for n in range(1, 6)]
    result = verdict(runs, [event(12, "setup", 1, seed_items=3)], turns)
    assert result.restores[0].partial
    assert "left out" in result.headline


def test_verdict_reports_give_ups_first_and_a_lost_context():
    gave_up = verdict(
        [run(0, 0, 10, began="new")],
        [event(20, "gave_up", reason="error", detail="1011 three times")],
    )
    assert gave_up.level == "bad"
    assert gave_up.headline.startswith("Gave up once")
    assert gave_up.give_ups[0].detail == "1011 three times"
    lost = verdict(
        [run(0, 0, 10, began="new"), run(1, 12, 20, "user", began="new")],
        turns=[TurnRecord(1, "user", at(1), 0)],
    )
    assert lost.level == "bad"
    assert lost.headline.startswith("Context lost")
    assert [f.run_id for f in lost.fresh_starts] == [1]


# -- words ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.42, "0.4 s"),
        (12.4, "12 s"),
        (159, "2 min 39 s"),
        (120, "2 min"),
        (3780, "1 h 3 min"),
        (183_600, "2 d 3 h"),
        (-1.5, "−1.5 s"),
    ],
)
def test_human_duration(seconds, text):
    assert inspector.human_duration(timedelta(seconds=seconds)) == text


def test_human_duration_of_nothing():
    assert inspector.human_duration(None) == "—"


def test_events_are_described_from_their_data():
    assert (
        inspector.describe_event(
            event(
                0, "attempt_failed", attempt=2, stage="token", code=503, reason="busy"
            )
        )
        == "Attempt 2 failed at token (503): busy"
    )
    assert (
        inspector.describe_event(
            event(
                0,
                "close",
                0,
                reason="network",
                code=1006,
                close_reason="",
                by="network",
            )
        )
        == "Closed by network: Network drop 1006"
    )
    assert (
        inspector.describe_event(event(0, "user_turn", 0, seq=9, replayed=True))
        == "User turn #9 sent again after a drop"
    )
    assert "seeded with 12 items" in inspector.describe_event(
        event(0, "setup", 0, began="restored_from_transcript", seed_items=12)
    )


def test_event_lines_list_the_gap_before_and_cut_at_the_limit():
    runs = [run(0, 0, 10, began="new"), run(1, 12, 20)]
    events = [event(11, "reconnect", attempt=1, delay_ms=500)]
    events += [event(12 + n / 10, "turn_complete", 1) for n in range(5)]
    summaries = inspector.summarise(session(runs, events))
    lines, hidden = inspector.event_lines(summaries[1], limit=3)
    assert [line.kind for line in lines] == [
        "reconnect",
        "turn_complete",
        "turn_complete",
    ]
    assert lines[0].between_runs
    assert not lines[1].between_runs
    assert hidden == 3
