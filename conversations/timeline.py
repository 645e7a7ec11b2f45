"""The session inspector's timeline: a conversation's runs drawn as inline SVG.

Pure: a `Session` (and its run summaries) in, SVG text out. One lane per run,
coloured by how it ended, marked with how it began, the gap before it shaded and
labelled, turns as ticks; hovering shows a run's events, a click opens their
list on the page (`#run-<id>-events`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import svg
from .inspector import (
    BEGAN_LABELS,
    ENDING_COLOURS,
    ENDING_LABELS,
    OFF_RUN_KINDS,
    Ending,
    EventRecord,
    RunSummary,
    Session,
    TurnRecord,
    describe_event,
    human_duration,
    summarise,
)
from .live.events import Began


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    x0: float
    x1: float
    busy: bool  # a run was open; otherwise a gap between runs
    compressed: bool = False  # drawn shorter than its share of time


@dataclass(frozen=True)
class TimeScale:
    """Time to x: runs in proportion, long gaps shortened (and labelled)."""

    segments: Sequence[Segment]

    def x(self, at: datetime) -> float:
        segments = self.segments
        if at <= segments[0].start:
            return segments[0].x0
        for segment in segments:
            if at <= segment.end:
                span = (segment.end - segment.start).total_seconds()
                if span <= 0:
                    return segment.x1
                share = (at - segment.start).total_seconds() / span
                return segment.x0 + share * (segment.x1 - segment.x0)
        return segments[-1].x1


MIN_BUSY_PX = 6.0
MIN_GAP_PX = 10.0


def build_scale(
    intervals: Sequence[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
    *,
    x0: float,
    width: float,
) -> TimeScale:
    """Lay the span out over `width` pixels.

    Runs (`intervals`) get room in proportion to their length, at least a few
    pixels each. A gap is never drawn longer than a fraction of the time runs
    were open, so an hour away does not squeeze the runs into slivers; its
    true length is written on it instead.
    """
    pieces = _pieces(intervals, start, end)
    busy_total = sum((b - a).total_seconds() for a, b, busy in pieces if busy)
    cap = max(busy_total * 0.15, 2.0)
    weights = []
    minimums = []
    for a, b, busy in pieces:
        seconds = (b - a).total_seconds()
        weights.append(seconds if busy else min(seconds, cap))
        minimums.append(MIN_BUSY_PX if busy else (MIN_GAP_PX if seconds > 0 else 0.0))
    widths = _fill(weights, minimums, width)
    segments = []
    x = x0
    for (a, b, busy), w, weight in zip(pieces, widths, weights, strict=True):
        compressed = not busy and weight < (b - a).total_seconds()
        segments.append(Segment(a, b, x, x + w, busy, compressed))
        x += w
    return TimeScale(segments)


def _pieces(
    intervals: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime
) -> list[tuple[datetime, datetime, bool]]:
    """The span cut into busy stretches (runs merged) and the gaps between."""
    merged: list[list[datetime]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, max(a, b)])
    pieces: list[tuple[datetime, datetime, bool]] = []
    cursor = start
    for a, b in merged:
        if a > cursor:
            pieces.append((cursor, a, False))
        pieces.append((max(a, cursor), b, True))
        cursor = max(cursor, b)
    if end > cursor or not pieces:
        pieces.append((cursor, max(cursor, end), False))
    return pieces


def _fill(weights: list[float], minimums: list[float], width: float) -> list[float]:
    """Widths in proportion to `weights`, none under its minimum, summing to width."""
    if sum(minimums) >= width or not any(weights):
        # No time to share out, or too many pieces: equal shares of their minimums.
        sizes = [m or 1.0 for m in minimums]
        return [size * width / sum(sizes) for size in sizes]
    clamped: set[int] = set()
    while True:
        free = width - sum(minimums[i] for i in clamped)
        weight = sum(w for i, w in enumerate(weights) if i not in clamped)
        scale = free / weight if weight else 0.0
        more = {
            i
            for i, w in enumerate(weights)
            if i not in clamped and w * scale < minimums[i]
        }
        if not more:
            break
        clamped |= more
    return [minimums[i] if i in clamped else w * scale for i, w in enumerate(weights)]


LABEL_W = 70.0
PLOT_W = 860.0
RIGHT_PAD = 60.0
TOP = 30.0
ROW_H = 34.0
BAR_H = 12.0
FONT = 11.0
INK = "currentColor"
INTERRUPTED_COLOUR = "#e0245e"
GAP_COLOUR = "#8a969e"
FAILED_COLOUR = "#c62828"
MAX_TITLE_EVENTS = 12


def timeline_svg(
    session: Session, summaries: Sequence[RunSummary] | None = None
) -> str:
    """The conversation's runs as an inline SVG, one lane per run; "" if none."""
    summaries = list(summaries if summaries is not None else summarise(session))
    stray = [e for e in session.events if e.run_id is None and e.kind in OFF_RUN_KINDS]
    moments = [s.run.started_at for s in summaries] + [s.end for s in summaries]
    moments += [event.at for event in stray]
    if not moments:
        return ""
    start, end = min(moments), max(moments)
    scale = build_scale(
        [(s.run.started_at, s.end) for s in summaries],
        start,
        end,
        x0=LABEL_W,
        width=PLOT_W,
    )
    plot_bottom = TOP + max(len(summaries), 1) * ROW_H
    legend, legend_h = _legend(plot_bottom + 54)
    parts = [
        svg.title(_caption(summaries, start, end), id="timeline-title"),
        _gap_bands(scale, plot_bottom),
        _axis(scale, start, plot_bottom),
    ]
    previous_end: datetime | None = None
    for row, summary in enumerate(summaries):
        parts.append(_lane(scale, summary, row, previous_end))
        previous_end = summary.run.ended_at
    if not summaries:
        parts.append(_stray_lane(scale, stray))
    parts.append(legend)
    return svg.document(
        LABEL_W + PLOT_W + RIGHT_PAD,
        plot_bottom + 54 + legend_h,
        *parts,
        role="img",
        aria_labelledby="timeline-title",
        class_="timeline",
        font_size=FONT,
        font_family="system-ui, -apple-system, 'Segoe UI', sans-serif",
    )


def _caption(summaries: Sequence[RunSummary], start: datetime, end: datetime) -> str:
    runs = len(summaries)
    return (
        f"Timeline of {runs} run{'' if runs == 1 else 's'}, "
        f"{start:%Y-%m-%d %H:%M:%S} to {end:%Y-%m-%d %H:%M:%S} UTC"
    )


def _clock(at: datetime) -> str:
    return f"{at:%H:%M:%S}"


def _gap_bands(scale: TimeScale, bottom: float) -> str:
    """Shade the gaps between runs; a shortened one gets a break mark."""
    bands = []
    for segment in scale.segments:
        if segment.busy or segment.x1 - segment.x0 < 1:
            continue
        bands.append(
            svg.element(
                "rect",
                x=segment.x0,
                y=TOP - 4,
                width=segment.x1 - segment.x0,
                height=bottom - TOP + 8,
                fill=GAP_COLOUR,
                fill_opacity="0.14",
            )
        )
        if segment.compressed:
            bands.append(
                svg.text(
                    (segment.x0 + segment.x1) / 2,
                    bottom + 30,
                    "≈ " + human_duration(segment.end - segment.start),
                    text_anchor="middle",
                    font_size=10,
                    fill=INK,
                    class_="axis-break",
                )
            )
    return svg.element("g", *bands, class_="gaps") if bands else ""


def _axis(scale: TimeScale, start: datetime, bottom: float) -> str:
    """Clock times under the lanes where runs start and end, never overlapping."""
    moments = sorted({s.start for s in scale.segments} | {scale.segments[-1].end})
    y = bottom + 4
    parts = [
        svg.element(
            "line",
            x1=LABEL_W,
            y1=y,
            x2=LABEL_W + PLOT_W,
            y2=y,
            stroke=INK,
            stroke_opacity="0.4",
        ),
        svg.text(4, TOP - 12, f"{start:%Y-%m-%d} (UTC)", fill=INK),
    ]
    last_right = -1.0
    for at in moments:
        x = scale.x(at)
        label = _clock(at)
        half = svg.text_width(label, 10) / 2
        if x - half < last_right + 6:
            continue
        last_right = x + half
        parts.append(
            svg.element(
                "line", x1=x, y1=y, x2=x, y2=y + 4, stroke=INK, stroke_opacity="0.5"
            )
        )
        parts.append(
            svg.text(x, y + 15, label, text_anchor="middle", font_size=10, fill=INK)
        )
    return svg.element("g", *parts, class_="axis")


def _lane(
    scale: TimeScale, summary: RunSummary, row: int, previous_end: datetime | None
) -> str:
    run = summary.run
    mid = TOP + row * ROW_H + ROW_H / 2
    bar_top = mid - BAR_H / 2
    x_start = scale.x(run.started_at)
    x_end = max(scale.x(summary.end), x_start + 2)
    parts = [
        svg.title(_lane_title(summary)),
        svg.text(4, mid + 4, f"Run {run.run_id}", fill=INK, font_weight="600"),
    ]
    # The way here from the previous run (or from the first failed attempt).
    lead_from = previous_end
    if lead_from is None and summary.before:
        lead_from = summary.before[0].at
    if lead_from is not None and lead_from < run.started_at:
        parts.append(_dashed(scale.x(lead_from), x_start, mid))
    if summary.recovery is not None:
        if summary.recovery >= timedelta(0):
            label = f"+{human_duration(summary.recovery)}"
        else:
            label = f"overlap {human_duration(-summary.recovery)}"
        x = x_start - 9
        anchor = "end"
        if x - svg.text_width(label, 10) < LABEL_W:
            x, anchor = LABEL_W + 2, "start"
        parts.append(
            svg.text(
                x,
                mid - 5,
                label,
                text_anchor=anchor,
                font_size=10,
                fill=INK,
                class_="gap-label",
            )
        )
    if summary.after:
        parts.append(_dashed(x_end, scale.x(max(e.at for e in summary.after)), mid))
    parts.append(
        svg.element(
            "rect",
            x=x_start,
            y=bar_top,
            width=x_end - x_start,
            height=BAR_H,
            rx=3,
            fill=summary.colour,
            class_="run-bar",
        )
    )
    if summary.ending is Ending.OPEN:
        # No end yet: the bar fades out at "now".
        parts.append(
            svg.element(
                "rect",
                x=x_end - 4,
                y=bar_top,
                width=4,
                height=BAR_H,
                fill="#ffffff",
                fill_opacity="0.7",
            )
        )
    parts += _goaway_marks(scale, summary, bar_top)
    parts += _ticks(scale, summary, bar_top)
    parts.append(_began_marker(run.began, x_start, mid, tip=summary.began_label))
    for event in summary.before + summary.after:
        tip = f"{_clock(event.at)} {describe_event(event)}"
        parts.append(_stray_marker(event.kind, scale.x(event.at), mid, tip=tip))
    group = svg.element(
        "g",
        *parts,
        class_=f"lane lane--{summary.ending.value}",
        data_run=run.run_id,
        data_ending=summary.ending.value,
        data_began=run.began,
    )
    # A click opens the run's events, listed under the timeline.
    return svg.element("a", group, href=f"#run-{run.run_id}-events")


def _dashed(x1: float, x2: float, y: float) -> str:
    return svg.element(
        "line",
        x1=x1,
        y1=y,
        x2=x2,
        y2=y,
        stroke=GAP_COLOUR,
        stroke_width=1.5,
        stroke_dasharray="3 3",
        class_="gap",
    )


def _stray_lane(scale: TimeScale, events: Sequence[EventRecord]) -> str:
    """Attempts that never became a run (the session gave up before run 0)."""
    mid = TOP + ROW_H / 2
    parts = [svg.text(4, mid + 4, "No run", fill=INK)]
    for event in events:
        tip = f"{_clock(event.at)} {describe_event(event)}"
        parts.append(_stray_marker(event.kind, scale.x(event.at), mid, tip=tip))
    return svg.element("g", *parts, class_="lane lane--none")


def _lane_title(summary: RunSummary) -> str:
    run = summary.run
    ended = _clock(run.ended_at) if run.ended_at else "open"
    lines = [
        f"Run {run.run_id}: {summary.began_label}; {summary.ended_why}",
        f"{_clock(run.started_at)} – {ended} ({human_duration(summary.duration)})",
    ]
    if run.close_code is not None or run.close_reason:
        code = run.close_code if run.close_code is not None else "—"
        lines.append(f"Close {code} {run.close_reason}".rstrip())
    lines.append(
        f"{summary.user_turns} user turns, {summary.replies} replies, "
        f"{summary.tokens} tokens"
    )
    events = summary.before + summary.events + summary.after
    lines += [
        f"{_clock(event.at)} {describe_event(event)}"
        for event in events[:MAX_TITLE_EVENTS]
    ]
    if len(events) > MAX_TITLE_EVENTS:
        lines.append(f"… {len(events) - MAX_TITLE_EVENTS} more: click for all")
    return "\n".join(lines)


def _began_marker(began: str, x: float, mid: float, *, tip: str | None) -> str:
    """A circle for a new session, a diamond for a handle, a square for a restore."""
    children = [svg.title(tip)] if tip else []
    style: dict[str, svg.AttrValue] = {
        "stroke": "#ffffff",
        "stroke_width": 1.5,
        "fill": "#37474f",
        "class_": f"began began--{began}",
    }
    if began == Began.RESUMED_WITH_HANDLE:
        points = " ".join(
            f"{svg.num(px)},{svg.num(py)}"
            for px, py in ((x, mid - 7), (x + 7, mid), (x, mid + 7), (x - 7, mid))
        )
        return svg.element("polygon", *children, points=points, **style)
    if began == Began.RESTORED_FROM_TRANSCRIPT:
        return svg.element(
            "rect", *children, x=x - 6, y=mid - 6, width=12, height=12, **style
        )
    return svg.element("circle", *children, cx=x, cy=mid, r=6, **style)


def _stray_marker(kind: str, x: float, mid: float, *, tip: str | None) -> str:
    """A failed attempt (×), a scheduled reconnect (○) or a give-up (■)."""
    children = [svg.title(tip)] if tip else []
    if kind == "attempt_failed":
        d = (
            f"M{svg.num(x - 4)} {svg.num(mid - 4)}L{svg.num(x + 4)} {svg.num(mid + 4)}"
            f"M{svg.num(x - 4)} {svg.num(mid + 4)}L{svg.num(x + 4)} {svg.num(mid - 4)}"
        )
        return svg.element(
            "path",
            *children,
            d=d,
            stroke=FAILED_COLOUR,
            stroke_width=2,
            class_="mark mark--attempt-failed",
        )
    if kind == "gave_up":
        return svg.element(
            "rect",
            *children,
            x=x - 5,
            y=mid - 5,
            width=10,
            height=10,
            fill=ENDING_COLOURS[Ending.GAVE_UP],
            class_="mark mark--gave-up",
        )
    return svg.element(
        "circle",
        *children,
        cx=x,
        cy=mid,
        r=3.5,
        fill="none",
        stroke=GAP_COLOUR,
        stroke_width=1.5,
        class_="mark mark--reconnect",
    )


def _goaway_marks(scale: TimeScale, summary: RunSummary, bar_top: float) -> list[str]:
    marks = []
    for event in summary.events:
        if event.kind != "goaway":
            continue
        x = scale.x(event.at)
        marks.append(
            svg.element(
                "line",
                svg.title(f"{_clock(event.at)} {describe_event(event)}"),
                x1=x,
                y1=bar_top - 3,
                x2=x,
                y2=bar_top + BAR_H + 3,
                stroke=INK,
                stroke_width=2,
                stroke_dasharray="2 1",
                class_="mark mark--goaway",
            )
        )
    return marks


@dataclass
class _TickBin:
    first: TurnRecord
    last: TurnRecord
    count: int = 1
    interrupted: bool = False


def _ticks(scale: TimeScale, summary: RunSummary, bar_top: float) -> list[str]:
    """User turns above the bar, replies below; turns a pixel apart share a tick.

    Sharing keeps a run with thousands of turns to a few hundred elements.
    """
    bins: dict[tuple[str, int], _TickBin] = {}
    for turn in summary.turns:
        if turn.role not in ("user", "assistant"):
            continue
        key = (turn.role, round(scale.x(turn.at)))
        cut = turn.role == "assistant" and turn.interrupted
        found = bins.get(key)
        if found is None:
            bins[key] = _TickBin(turn, turn, interrupted=cut)
        else:
            found.count += 1
            found.last = turn
            found.interrupted = found.interrupted or cut
    ticks = []
    for (role, _), found in bins.items():
        x = scale.x(found.first.at)
        if role == "user":
            y1, y2 = bar_top - 8, bar_top - 1
        else:
            y1, y2 = bar_top + BAR_H + 1, bar_top + BAR_H + 8
        what = "user turn" if role == "user" else "reply"
        if found.count == 1:
            tip = f"#{found.first.seq} {what} at {_clock(found.first.at)}"
        else:
            tip = f"#{found.first.seq}–#{found.last.seq}: {found.count} {what}s"
        classes = f"tick tick--{role}"
        if found.interrupted:
            tip += " (interrupted)"
            classes += " tick--interrupted"
        ticks.append(
            svg.element(
                "line",
                svg.title(tip),
                x1=x,
                y1=y1,
                x2=x,
                y2=y2,
                stroke=INTERRUPTED_COLOUR if found.interrupted else INK,
                stroke_width=2.5 if found.interrupted else 1.5,
                class_=classes,
            )
        )
        if found.interrupted:
            ticks.append(
                svg.element("circle", cx=x, cy=y2 + 2, r=2, fill=INTERRUPTED_COLOUR)
            )
    return ticks


def _legend(top: float) -> tuple[str, float]:
    """Every ending's colour, the three ways to begin, and the marks."""
    entries: list[tuple[str, str]] = [
        (_swatch(ENDING_COLOURS[ending]), label)
        for ending, label in ENDING_LABELS.items()
    ]
    entries += [
        (_began_marker(began, 6, 0, tip=None), label)
        for began, label in BEGAN_LABELS.items()
    ]
    entries += [
        (_tick_sample(INK, up=True), "User turn"),
        (_tick_sample(INK, up=False), "Reply"),
        (_tick_sample(INTERRUPTED_COLOUR, up=False), "Interrupted reply"),
        (_stray_marker("attempt_failed", 6, 0, tip=None), "Attempt failed"),
        (_stray_marker("reconnect", 6, 0, tip=None), "Reconnect scheduled"),
        (_stray_marker("gave_up", 6, 0, tip=None), "Gave up"),
    ]
    parts = []
    x, y = 4.0, top
    line_h = 18.0
    right = LABEL_W + PLOT_W + RIGHT_PAD - 4
    for glyph, label in entries:
        w = 18 + svg.text_width(label) + 14
        if x + w > right:
            x, y = 4.0, y + line_h
        parts.append(
            svg.element(
                "g",
                glyph,
                svg.text(18, 4, label, fill=INK),
                transform=f"translate({svg.num(x)} {svg.num(y)})",
                class_="legend-entry",
            )
        )
        x += w
    return svg.element("g", *parts, class_="legend"), y - top + line_h


def _swatch(colour: str) -> str:
    return svg.element("rect", x=0, y=-5, width=12, height=10, rx=2, fill=colour)


def _tick_sample(colour: str, *, up: bool) -> str:
    y1, y2 = (-6.0, 1.0) if up else (-1.0, 6.0)
    return svg.element("line", x1=6, y1=y1, x2=6, y2=y2, stroke=colour, stroke_width=2)
