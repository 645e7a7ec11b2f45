"""Operations figures: counted per hour or day, percentiles, ranges, charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from conversations import charts, operations
from conversations.operations import Bucket, StartedRun

NOW = datetime(2026, 11, 21, 14, 30, tzinfo=UTC)
SVG_NS = "{http://www.w3.org/2000/svg}"


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def test_buckets_are_whole_hours_covering_the_range():
    starts = operations.bucket_starts(NOW - hours(3), NOW, operations.HOUR)
    assert starts == [datetime(2026, 11, 21, h, tzinfo=UTC) for h in (11, 12, 13, 14)]


def test_counts_per_bucket_leave_out_moments_outside_the_range():
    since, until = NOW - hours(2), NOW
    moments = [
        NOW - hours(3),  # before
        NOW - hours(1.9),  # 12:36 → 12:00
        NOW - hours(1.5),  # 13:00 → 13:00
        NOW - hours(1.4),
        NOW - timedelta(minutes=1),  # 14:29 → 14:00
        NOW,  # the end is not in the range
    ]
    buckets = operations.count_per_bucket(moments, since, until, operations.HOUR)
    assert [(b.start.hour, b.count) for b in buckets] == [(12, 1), (13, 2), (14, 1)]


def test_the_step_is_an_hour_up_to_three_days_then_a_day():
    assert operations.choose_step(NOW - hours(72), NOW) == operations.HOUR
    assert operations.choose_step(NOW - hours(73), NOW) == operations.DAY
    days = operations.bucket_starts(NOW - hours(24 * 5), NOW, operations.DAY)
    assert days[0] == datetime(2026, 11, 16, tzinfo=UTC)
    assert len(days) == 6


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, None),
        ([4.0], 95, 4.0),
        ([1, 2, 3, 4], 50, 2.5),
        (list(range(1, 101)), 95, 95.05),
        ([10, 1, 5], 50, 5),
    ],
)
def test_percentile_interpolates_between_ranks(values, q, expected):
    result = operations.percentile(values, q)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_recovery_leaves_out_first_runs_and_gaps_that_waited_for_the_user():
    runs = [
        StartedRun(NOW, 0, "new"),
        StartedRun(
            NOW, 1, "resumed_with_handle", NOW - timedelta(seconds=2), "network"
        ),
        StartedRun(NOW, 2, "resumed_with_handle", NOW - timedelta(seconds=1), "goaway"),
        StartedRun(NOW, 3, "restored_from_transcript", NOW - hours(5), "user"),
        StartedRun(NOW, 4, "resumed_with_handle", NOW - hours(1), "browser_left"),
        StartedRun(NOW, 5, "resumed_with_handle", None, ""),  # previous still open
        StartedRun(NOW, 6, "resumed_with_handle", NOW + timedelta(seconds=1), "error"),
        StartedRun(NOW, 7, "restored_from_transcript", NOW - hours(2), "network", True),
    ]
    assert operations.recovery_seconds(runs) == [2.0, 1.0, 0.0]


def test_histogram_counts_each_value_once():
    counts = dict(operations.histogram([0.1, 0.5, 0.9, 3, 3.5, 61, 1000]))
    assert counts["< 0.5 s"] == 1
    assert counts["0.5–1 s"] == 2
    assert counts["2–5 s"] == 2
    assert counts["> 60 s"] == 2
    assert sum(counts.values()) == 7


def test_close_codes_are_merged_and_sorted_by_count():
    assert operations.close_code_counts(
        [(1006, 3), (None, 1), (1011, 3), (1000, 5)]
    ) == [
        ("1000", 5),
        ("1006", 3),
        ("1011", 3),
        ("none", 1),
    ]


def test_report_counts_reconnects_restores_and_give_ups_per_hour():
    since, until = NOW - hours(2), NOW
    started = [
        StartedRun(NOW - hours(1.9), 0, "new"),
        StartedRun(
            NOW - hours(1.8), 1, "resumed_with_handle", NOW - hours(1.8001), "network"
        ),
        StartedRun(
            NOW - hours(0.2),
            2,
            "restored_from_transcript",
            NOW - hours(0.21),
            "network",
        ),
    ]
    report = operations.build_report(
        since=since,
        until=until,
        started=started,
        close_codes=[(1006, 2)],
        give_ups=[NOW - hours(0.1), NOW - hours(5)],
    )
    assert report.per == "hour"
    assert report.runs_started == 3
    assert [b.count for b in report.reconnects] == [1, 0, 1]
    assert report.reconnect_total == 2
    assert report.restore_total == 1
    assert [b.count for b in report.give_ups] == [0, 0, 1]
    assert report.close_codes == [("1006", 2)]
    assert report.recovery_p50 == pytest.approx((0.36 + 36) / 2)
    assert report.recovery_p95 == pytest.approx(0.36 + (36 - 0.36) * 0.95)


# -- the range asked for -------------------------------------------------------
def test_range_defaults_to_the_last_24_hours():
    chosen = operations.parse_range(None, None, now=NOW)
    assert (chosen.since, chosen.until, chosen.errors) == (NOW - hours(24), NOW, [])


def test_range_reads_dates_and_times_and_a_bare_until_date_includes_that_day():
    chosen = operations.parse_range("2026-11-19", "2026-11-20", now=NOW)
    assert chosen.since == datetime(2026, 11, 19, tzinfo=UTC)
    assert chosen.until == datetime(2026, 11, 21, tzinfo=UTC)
    chosen = operations.parse_range("2026-11-21T10:15", "2026-11-21T12:00Z", now=NOW)
    assert chosen.since == datetime(2026, 11, 21, 10, 15, tzinfo=UTC)
    assert chosen.until == datetime(2026, 11, 21, 12, tzinfo=UTC)


def test_a_range_that_makes_no_sense_falls_back_with_a_note():
    bad = operations.parse_range("yesterday", None, now=NOW)
    assert bad.since == NOW - hours(24)
    assert len(bad.errors) == 1
    backwards = operations.parse_range("2026-11-21T12:00", "2026-11-21T11:00", now=NOW)
    assert backwards.until - backwards.since == hours(24)
    assert "ends before it starts" in backwards.errors[0]
    long = operations.parse_range("2025-01-01", None, now=NOW)
    assert long.until - long.since == operations.MAX_RANGE


# -- charts --------------------------------------------------------------------
def test_column_chart_draws_one_bar_per_bucket_in_proportion():
    buckets = [Bucket(NOW, 2), Bucket(NOW, 0), Bucket(NOW, 4)]
    svg_text = charts.column_chart(
        [(f"{n}:00", b.count) for n, b in enumerate(buckets)], caption="Reconnects"
    )
    root = ET.fromstring(svg_text)
    bars = [r for r in root.iter(f"{SVG_NS}rect") if r.get("class") == "bar"]
    assert [int(b.get("data-value")) for b in bars] == [2, 0, 4]
    heights = [float(b.get("height")) for b in bars]
    assert heights[2] == pytest.approx(2 * heights[0])
    assert heights[1] == 0
    assert root.get("aria-label") == "Reconnects"


def test_bar_chart_writes_each_value_and_says_when_there_is_none():
    root = ET.fromstring(charts.bar_chart([("1006", 3), ("1000", 1)], caption="Codes"))
    texts = [t.text for t in root.iter(f"{SVG_NS}text")]
    assert texts == ["1006", "3", "1000", "1"]
    empty = ET.fromstring(charts.bar_chart([], caption="Codes"))
    assert [t.text for t in empty.iter(f"{SVG_NS}text")] == ["None in this range"]
