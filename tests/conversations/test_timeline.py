"""The timeline: a time scale that keeps runs readable, and the SVG drawn on it."""

from __future__ import annotations

import re

import pytest

from conversations import inspector, timeline
from conversations.inspector import Ending, RunRecord, TurnRecord

from .records import SVG_NS, at, event, lanes, parse, run, session
from .session_factory import EVERY_ENDING


# -- the time scale ------------------------------------------------------------
def test_scale_keeps_runs_in_proportion_and_shortens_a_long_gap():
    intervals = [(at(0), at(100)), (at(3700), at(3800))]
    scale = timeline.build_scale(intervals, at(0), at(3800), x0=0, width=500)
    busy = [s for s in scale.segments if s.busy]
    (gap,) = [s for s in scale.segments if not s.busy]
    assert gap.compressed
    assert busy[0].x1 - busy[0].x0 == pytest.approx(busy[1].x1 - busy[1].x0)
    # An hour away takes less room than the 100 s runs around it.
    assert gap.x1 - gap.x0 < busy[0].x1 - busy[0].x0
    assert scale.x(at(0)) == 0
    assert scale.x(at(3800)) == pytest.approx(500)
    assert scale.x(at(50)) == pytest.approx((busy[0].x1 - busy[0].x0) / 2)


def test_scale_gives_short_runs_and_gaps_a_minimum_width():
    intervals = [(at(0), at(1000)), (at(1000.2), at(1000.5)), (at(1000.6), at(2000))]
    scale = timeline.build_scale(intervals, at(0), at(2000), x0=10, width=800)
    widths = [s.x1 - s.x0 for s in scale.segments]
    assert min(widths) >= timeline.MIN_BUSY_PX - 1e-9
    assert sum(widths) == pytest.approx(800)
    xs = [scale.x(at(t)) for t in (0, 500, 1000, 1000.1, 1000.3, 1000.55, 1500, 2000)]
    assert xs == sorted(xs)


def test_more_pieces_than_room_still_fill_the_width_in_order():
    intervals = [(at(n * 10), at(n * 10 + 8)) for n in range(200)]
    scale = timeline.build_scale(intervals, at(0), at(1998), x0=0, width=500)
    assert len(scale.segments) == 399
    assert sum(s.x1 - s.x0 for s in scale.segments) == pytest.approx(500)
    xs = [scale.x(at(t)) for t in range(0, 1999, 7)]
    assert xs == sorted(xs)


def test_overlapping_runs_share_one_busy_stretch():
    intervals = [(at(0), at(10)), (at(5), at(20))]
    scale = timeline.build_scale(intervals, at(0), at(20), x0=0, width=100)
    assert [s.busy for s in scale.segments] == [True]


# -- the SVG -------------------------------------------------------------------
ALL_ENDINGS = [
    run(0, 0, 30, "goaway", began="new", code=1000),
    run(1, 30.4, 45, "network", code=1006),
    run(2, 47, 55, "error", code=1011),
    run(3, 56, 58, "handle_expired", code=1008),
    run(4, 59, 68, "device_switch", began="restored_from_transcript", code=4001),
    run(5, 69, 80, "worker_lost"),
    run(6, 82, 90, "browser_left", code=1001),
    run(7, 150, 160, "network", code=1006),
    run(8, 800, 830, "user", began="restored_from_transcript", code=1000),
    run(9, 860, None, began="restored_from_transcript"),
]
ALL_EVENTS = [
    event(20, "goaway", 0, time_left_s=9.5),
    event(45.5, "attempt_failed", attempt=1, stage="token", code=None, reason="503"),
    event(46, "reconnect", attempt=2, delay_ms=800),
    event(165, "gave_up", reason="gave_up", detail="6 attempts"),
]
ALL_TURNS = [
    TurnRecord(1, "user", at(2), 0),
    TurnRecord(2, "assistant", at(5), 0),
    TurnRecord(3, "user", at(32), 1),
    TurnRecord(4, "assistant", at(36), 1, interrupted=True),
]


def test_timeline_draws_one_lane_per_run_coloured_by_every_ending():
    s = session(ALL_ENDINGS, ALL_EVENTS, ALL_TURNS, now=870)
    root = parse(timeline.timeline_svg(s))
    found = lanes(root)
    assert [g.get("data-run") for g in found] == [str(n) for n in range(10)]
    endings = [g.get("data-ending") for g in found]
    assert endings == EVERY_ENDING
    for lane in found:
        (bar,) = [r for r in lane.iter(f"{SVG_NS}rect") if r.get("class") == "run-bar"]
        assert (
            bar.get("fill") == inspector.ENDING_COLOURS[Ending(lane.get("data-ending"))]
        )
    # Every colour is also explained in the legend.
    legend = next(g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "legend")
    legend_text = " ".join(t.text or "" for t in legend.iter(f"{SVG_NS}text"))
    for label in inspector.ENDING_LABELS.values():
        assert label in legend_text


def test_timeline_marks_how_each_run_began_and_links_to_its_events():
    s = session(ALL_ENDINGS, ALL_EVENTS, ALL_TURNS, now=870)
    root = parse(timeline.timeline_svg(s))
    links = [a for a in root.iter(f"{SVG_NS}a")]
    assert [a.get("href") for a in links] == [f"#run-{n}-events" for n in range(10)]
    for lane, record in zip(lanes(root), ALL_ENDINGS, strict=True):
        (marker,) = [el for el in lane if (el.get("class") or "").startswith("began ")]
        assert marker.get("class") == f"began began--{record.began}"
        shape = {"new": "circle", "resumed_with_handle": "polygon"}.get(
            record.began, "rect"
        )
        assert marker.tag == SVG_NS + shape


def test_timeline_labels_each_gap_with_its_length():
    s = session(ALL_ENDINGS, ALL_EVENTS, ALL_TURNS, now=870)
    svg_text = timeline.timeline_svg(s)
    labels = re.findall(r'class="gap-label">([^<]+)<', svg_text)
    assert labels == [
        "+0.4 s",
        "+2.0 s",
        "+1.0 s",
        "+1.0 s",
        "+1.0 s",
        "+2.0 s",
        "+1 min",
        "+10 min 40 s",
        "+30 s",
    ]
    # The ten-minute gap is drawn shorter, and says so under the axis.
    assert "≈ 10 min 40 s" in svg_text


def test_timeline_ticks_turns_and_marks_interrupted_replies():
    s = session(ALL_ENDINGS, ALL_EVENTS, ALL_TURNS, now=870)
    root = parse(timeline.timeline_svg(s))
    first, second = lanes(root)[:2]

    def ticks(lane, kind):
        return [
            line
            for line in lane.iter(f"{SVG_NS}line")
            if kind in (line.get("class") or "").split()
        ]

    assert len(ticks(first, "tick--user")) == 1
    assert len(ticks(first, "tick--assistant")) == 1
    assert ticks(first, "tick--interrupted") == []
    (cut,) = ticks(second, "tick--interrupted")
    assert cut.get("stroke") == timeline.INTERRUPTED_COLOUR
    assert "interrupted" in cut.find(f"{SVG_NS}title").text


def test_timeline_hover_text_lists_the_run_and_its_events():
    s = session(ALL_ENDINGS, ALL_EVENTS, ALL_TURNS, now=870)
    root = parse(timeline.timeline_svg(s))
    lane = lanes(root)[2]
    tip = lane.find(f"{SVG_NS}title").text
    assert tip.startswith("Run 2: Resumed with handle; Error")
    assert "Close 1011" in tip
    assert "Attempt 1 failed at token" in tip
    assert "Reconnect, attempt 2, in 800 ms" in tip
    marks = {m.get("class") for m in lane.iter() if "mark" in (m.get("class") or "")}
    assert {"mark mark--attempt-failed", "mark mark--reconnect"} <= marks
    # The give-up is drawn on the way to the run the user started by hand.
    resumed_by_hand = lanes(root)[8]
    assert any(
        (m.get("class") or "") == "mark mark--gave-up" for m in resumed_by_hand.iter()
    )


def test_timeline_escapes_what_it_is_given():
    runs = [RunRecord(0, "new", at(0), at(5), "network", 1006, '<b>"x"</b>&')]
    events = [event(1, "gave_up", reason="<script>", detail="</title><b>")]
    svg_text = timeline.timeline_svg(session(runs, events))
    assert "<script>" not in svg_text
    assert "</title><b>" not in svg_text
    parse(svg_text)  # still well-formed


def test_many_turns_in_a_pixel_share_one_tick():
    turns = [
        TurnRecord(n, "user" if n % 2 else "assistant", at(n / 100), 0)
        for n in range(1, 5001)
    ]
    s = session([run(0, 0, 60, "user", began="new")], turns=turns)
    root = parse(timeline.timeline_svg(s))
    ticks = [
        line
        for line in root.iter(f"{SVG_NS}line")
        if "tick" in (line.get("class") or "").split()
    ]
    assert 0 < len(ticks) <= 2 * (timeline.PLOT_W + 1)
    assert any("–#" in t.find(f"{SVG_NS}title").text for t in ticks)


def test_no_runs_and_no_attempts_draw_nothing():
    assert timeline.timeline_svg(session([])) == ""


def test_attempts_that_never_became_a_run_are_drawn_on_their_own_lane():
    events = [
        event(0, "attempt_failed", attempt=1, stage="token", code=None, reason="x"),
        event(5, "gave_up", reason="gave_up", detail=""),
    ]
    root = parse(timeline.timeline_svg(session([], events)))
    (lane,) = lanes(root)
    assert "lane--none" in lane.get("class")
    assert len([el for el in lane if "mark" in (el.get("class") or "")]) == 2
