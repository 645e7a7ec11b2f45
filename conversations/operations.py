"""Reconnects, close codes, restores, give-ups and recovery over a time range.

Pure aggregation: the selectors read rows for the range, these functions count
them. Recovery is the time from a run's end to the next run of the same
conversation starting. After the user ended it or left, or after the session gave
up, the next run waits for the user: those gaps are not recovery and are left out.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .live.events import Began, EndReason

DEFAULT_RANGE = timedelta(hours=24)
MAX_RANGE = timedelta(days=92)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# A range longer than this is counted per day, not per hour.
HOURLY_UP_TO = timedelta(days=3)
# Ends the user chose: the gap after them is the user's, not a recovery.
NOT_RECOVERY = frozenset({EndReason.USER, EndReason.BROWSER_LEFT, EndReason.IDLE})
RECOVERY_BINS: tuple[tuple[float, str], ...] = (
    (0.5, "< 0.5 s"),
    (1, "0.5–1 s"),
    (2, "1–2 s"),
    (5, "2–5 s"),
    (10, "5–10 s"),
    (30, "10–30 s"),
    (60, "30–60 s"),
    (math.inf, "> 60 s"),
)


@dataclass(frozen=True)
class StartedRun:
    """A run that started in the range, and how the run before it ended."""

    started_at: datetime
    run_id: int
    began: str
    previous_ended_at: datetime | None = None
    previous_end_reason: str = ""
    after_give_up: bool = False  # the session gave up before this run began


@dataclass(frozen=True)
class Bucket:
    start: datetime
    count: int


@dataclass(frozen=True)
class OperationsReport:
    since: datetime
    until: datetime
    step: timedelta
    runs_started: int
    reconnects: list[Bucket]
    restores: list[Bucket]
    give_ups: list[Bucket]
    close_codes: list[tuple[str, int]]
    recovery_seconds: list[float]
    recovery_histogram: list[tuple[str, int]]

    @property
    def reconnect_total(self) -> int:
        return sum(bucket.count for bucket in self.reconnects)

    @property
    def restore_total(self) -> int:
        return sum(bucket.count for bucket in self.restores)

    @property
    def give_up_total(self) -> int:
        return sum(bucket.count for bucket in self.give_ups)

    @property
    def recovery_p50(self) -> float | None:
        return percentile(self.recovery_seconds, 50)

    @property
    def recovery_p95(self) -> float | None:
        return percentile(self.recovery_seconds, 95)

    @property
    def per(self) -> str:
        return "hour" if self.step == HOUR else "day"


@dataclass(frozen=True)
class Range:
    since: datetime
    until: datetime
    errors: list[str]


def parse_moment(raw: str, *, end_of_day: bool = False) -> datetime:
    """An ISO date or date-time, UTC unless it says otherwise.

    A bare date means the start of that day, or with `end_of_day` the start of
    the next, so `until=2026-11-21` includes the 21st.
    """
    text = raw.strip()
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and len(text) == len("2026-11-21"):
        moment += DAY
    return moment


def parse_range(since: str | None, until: str | None, *, now: datetime) -> Range:
    """The range asked for with `?since=&until=`; the last 24 hours by default.

    A value that does not parse, a range that ends before it starts or one
    longer than `MAX_RANGE` falls back to what would be sensible, with a note.
    """
    errors = []
    end = now
    if until:
        try:
            end = parse_moment(until, end_of_day=True)
        except ValueError:
            errors.append(f"“{until}” is not a date or time; showing up to now.")
    start = end - DEFAULT_RANGE
    if since:
        try:
            start = parse_moment(since)
        except ValueError:
            errors.append(f"“{since}” is not a date or time; showing 24 hours.")
    if start >= end:
        errors.append("The range ends before it starts; showing 24 hours.")
        start = end - DEFAULT_RANGE
    if end - start > MAX_RANGE:
        errors.append(f"Ranges are at most {MAX_RANGE.days} days; shortened.")
        start = end - MAX_RANGE
    return Range(since=start, until=end, errors=errors)


def choose_step(since: datetime, until: datetime) -> timedelta:
    """Hours for up to three days, days beyond."""
    return HOUR if until - since <= HOURLY_UP_TO else DAY


def bucket_starts(since: datetime, until: datetime, step: timedelta) -> list[datetime]:
    """Whole hours (or days) from the one holding `since` up to `until`."""
    if step == DAY:
        first = since.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        first = since.replace(minute=0, second=0, microsecond=0)
    starts = []
    at = first
    while at < until:
        starts.append(at)
        at += step
    return starts or [first]


def count_per_bucket(
    moments: Iterable[datetime], since: datetime, until: datetime, step: timedelta
) -> list[Bucket]:
    """How many of `moments` fall in each bucket; those outside the range not at all."""
    starts = bucket_starts(since, until, step)
    counts = [0] * len(starts)
    first = starts[0]
    for at in moments:
        if not since <= at < until:
            continue
        index = int((at - first) / step)
        if 0 <= index < len(counts):
            counts[index] += 1
    return [Bucket(start, count) for start, count in zip(starts, counts, strict=True)]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile, interpolated between the closest ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def recovery_seconds(runs: Iterable[StartedRun]) -> list[float]:
    """Seconds from the previous run's end to each run's start, when it recovered."""
    seconds = []
    for run in runs:
        if run.run_id == 0 or run.previous_ended_at is None:
            continue
        if run.previous_end_reason in NOT_RECOVERY or run.after_give_up:
            continue
        seconds.append(max((run.started_at - run.previous_ended_at).total_seconds(), 0))
    return seconds


def histogram(values: Iterable[float]) -> list[tuple[str, int]]:
    """Recovery times counted in `RECOVERY_BINS`."""
    counts = [0] * len(RECOVERY_BINS)
    for value in values:
        for index, (upper, _) in enumerate(RECOVERY_BINS):
            if value < upper:
                counts[index] += 1
                break
    return [(label, n) for (_, label), n in zip(RECOVERY_BINS, counts, strict=True)]


def close_code_counts(codes: Iterable[tuple[int | None, int]]) -> list[tuple[str, int]]:
    """(code, count) pairs merged and sorted, most frequent first; None is "none"."""
    merged: Counter[str] = Counter()
    for code, count in codes:
        merged["none" if code is None else str(code)] += count
    return sorted(merged.items(), key=lambda pair: (-pair[1], pair[0]))


def build_report(
    *,
    since: datetime,
    until: datetime,
    started: Sequence[StartedRun],
    close_codes: Iterable[tuple[int | None, int]],
    give_ups: Iterable[datetime],
) -> OperationsReport:
    """Everything the operations page shows, for runs started in [since, until)."""
    step = choose_step(since, until)
    recovery = recovery_seconds(started)
    return OperationsReport(
        since=since,
        until=until,
        step=step,
        runs_started=len(started),
        reconnects=count_per_bucket(
            (run.started_at for run in started if run.run_id > 0), since, until, step
        ),
        restores=count_per_bucket(
            (
                run.started_at
                for run in started
                if run.began == Began.RESTORED_FROM_TRANSCRIPT
            ),
            since,
            until,
            step,
        ),
        give_ups=count_per_bucket(give_ups, since, until, step),
        close_codes=close_code_counts(close_codes),
        recovery_seconds=recovery,
        recovery_histogram=histogram(recovery),
    )
