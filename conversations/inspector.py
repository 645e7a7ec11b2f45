"""The session inspector: what happened to a conversation's upstream connections.

Pure: plain records of runs, run events and turns go in; per-run summaries and a
continuity verdict come out (`conversations.timeline` draws them). Turns carry
no content, so nothing made from them can reveal what anyone said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .live.events import Began, EndReason

ERROR_CLOSE_CODE = 1011


class Ending(StrEnum):
    """How a run ended, as the timeline colours it."""

    GOAWAY = "goaway"
    NETWORK = "network"
    ERROR = "error"
    USER = "user"
    DEVICE_SWITCH = "device_switch"
    BROWSER_LEFT = "browser_left"
    IDLE = "idle"
    HANDLE_EXPIRED = "handle_expired"
    WORKER_LOST = "worker_lost"
    GAVE_UP = "gave_up"
    OPEN = "open"
    UNKNOWN = "unknown"


ENDING_LABELS: dict[Ending, str] = {
    Ending.GOAWAY: "goAway rotation",
    Ending.NETWORK: "Network drop",
    Ending.ERROR: "Error / 1011",
    Ending.USER: "Ended by user",
    Ending.DEVICE_SWITCH: "Device switch",
    Ending.BROWSER_LEFT: "Browser left",
    Ending.IDLE: "Paused while idle",
    Ending.HANDLE_EXPIRED: "Handle expired",
    Ending.WORKER_LOST: "Worker lost",
    Ending.GAVE_UP: "Gave up after it",
    Ending.OPEN: "Still open",
    Ending.UNKNOWN: "Ended, reason unknown",
}
# Distinct on a light and a dark background alike.
ENDING_COLOURS: dict[Ending, str] = {
    Ending.GOAWAY: "#2f7fc1",
    Ending.NETWORK: "#e8890c",
    Ending.ERROR: "#d32f2f",
    Ending.USER: "#2e9d4b",
    Ending.DEVICE_SWITCH: "#8e5bd0",
    Ending.BROWSER_LEFT: "#8a9ba8",
    Ending.IDLE: "#5c7d99",
    Ending.HANDLE_EXPIRED: "#c9a227",
    Ending.WORKER_LOST: "#8d5a3c",
    Ending.GAVE_UP: "#8b1a4f",
    Ending.OPEN: "#1fa69a",
    Ending.UNKNOWN: "#b0b0b0",
}
_END_REASON_ENDINGS = {
    EndReason.GOAWAY: Ending.GOAWAY,
    EndReason.NETWORK: Ending.NETWORK,
    EndReason.ERROR: Ending.ERROR,
    EndReason.USER: Ending.USER,
    EndReason.DEVICE_SWITCH: Ending.DEVICE_SWITCH,
    EndReason.BROWSER_LEFT: Ending.BROWSER_LEFT,
    EndReason.IDLE: Ending.IDLE,
    EndReason.HANDLE_EXPIRED: Ending.HANDLE_EXPIRED,
    EndReason.WORKER_LOST: Ending.WORKER_LOST,
}
END_REASON_LABELS: dict[str, str] = {
    EndReason.GOAWAY: "goAway rotation",
    EndReason.NETWORK: "Network drop",
    EndReason.ERROR: "Error",
    EndReason.USER: "Ended by user",
    EndReason.DEVICE_SWITCH: "Device switch",
    EndReason.BROWSER_LEFT: "Browser left",
    EndReason.IDLE: "Paused while idle",
    EndReason.HANDLE_EXPIRED: "Handle expired",
    EndReason.WORKER_LOST: "Worker lost",
}
BEGAN_LABELS: dict[str, str] = {
    Began.NEW: "New Live session",
    Began.RESUMED_WITH_HANDLE: "Resumed with handle",
    Began.RESTORED_FROM_TRANSCRIPT: "Restored from transcript",
}
# Events with no run of their own: between connections.
OFF_RUN_KINDS = ("attempt_failed", "reconnect", "gave_up")


# -- records in ----------------------------------------------------------------
@dataclass(frozen=True)
class RunRecord:
    run_id: int
    began: str
    started_at: datetime
    ended_at: datetime | None = None
    end_reason: str = ""
    close_code: int | None = None
    close_reason: str = ""


@dataclass(frozen=True)
class EventRecord:
    at: datetime
    kind: str
    run_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TurnRecord:
    """A stored transcript item, without its content."""

    seq: int
    role: str
    at: datetime
    run_id: int | None = None
    interrupted: bool = False


@dataclass(frozen=True)
class Session:
    runs: Sequence[RunRecord]
    events: Sequence[EventRecord]
    turns: Sequence[TurnRecord]
    now: datetime


# -- summaries out -------------------------------------------------------------
@dataclass(frozen=True)
class RunSummary:
    run: RunRecord
    ending: Ending
    end: datetime  # when it ended, or `now` for a run still open
    recovery: timedelta | None  # the previous run's end to this run's start
    before: list[EventRecord]  # between the previous run and this one
    events: list[EventRecord]
    turns: list[TurnRecord]
    after: list[EventRecord]  # between runs, after the last one only

    @property
    def run_id(self) -> int:
        return self.run.run_id

    @property
    def duration(self) -> timedelta:
        return self.end - self.run.started_at

    @property
    def began_label(self) -> str:
        return BEGAN_LABELS.get(self.run.began, self.run.began or "—")

    @property
    def ending_label(self) -> str:
        return ENDING_LABELS[self.ending]

    @property
    def colour(self) -> str:
        return ENDING_COLOURS[self.ending]

    @property
    def ended_why(self) -> str:
        """The recorded end reason, and what followed when the session gave up."""
        if self.run.ended_at is None:
            return "Still open"
        why = END_REASON_LABELS.get(self.run.end_reason, self.run.end_reason or "—")
        if self.ending is Ending.GAVE_UP:
            return f"{why}, then gave up"
        return why

    @property
    def user_turns(self) -> int:
        return sum(1 for turn in self.turns if turn.role == "user")

    @property
    def replies(self) -> int:
        return sum(1 for turn in self.turns if turn.role == "assistant")

    @property
    def interrupted_replies(self) -> int:
        return sum(1 for t in self.turns if t.role == "assistant" and t.interrupted)

    @property
    def tokens(self) -> int:
        return sum(
            _int(event.data.get("total"))
            for event in self.events
            if event.kind == "usage"
        )

    @property
    def seed_items(self) -> int | None:
        for event in self.events:
            if event.kind == "setup" and "seed_items" in event.data:
                return _int(event.data.get("seed_items"))
        return None

    @property
    def replayed_turns(self) -> int:
        return sum(
            1
            for event in self.events
            if event.kind == "user_turn" and event.data.get("replayed") is True
        )


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def classify(run: RunRecord, *, gave_up_after: bool = False) -> Ending:
    """The colour of a run: its end reason, 1011 as an error, a give-up after it."""
    if run.ended_at is None:
        return Ending.OPEN
    if gave_up_after:
        return Ending.GAVE_UP
    if run.close_code == ERROR_CLOSE_CODE:
        return Ending.ERROR
    try:
        return _END_REASON_ENDINGS[EndReason(run.end_reason)]
    except ValueError:
        return Ending.UNKNOWN


def summarise(session: Session) -> list[RunSummary]:
    """One summary per run, in run order, each with the events around it."""
    runs = sorted(session.runs, key=lambda run: run.run_id)
    by_run: dict[int, list[EventRecord]] = {run.run_id: [] for run in runs}
    between: list[EventRecord] = []
    for event in sorted(session.events, key=lambda event: event.at):
        if event.run_id is not None and event.run_id in by_run:
            by_run[event.run_id].append(event)
        else:
            between.append(event)
    # An event between runs belongs to the gap before the first run that
    # started after it; after the last start, to the trailing gap.
    gaps: list[list[EventRecord]] = [[] for _ in range(len(runs) + 1)]
    for event in between:
        index = next(
            (i for i, run in enumerate(runs) if run.started_at >= event.at), len(runs)
        )
        gaps[index].append(event)
    turns = _turns_by_run(runs, session.turns, session.now)
    summaries = []
    previous_end: datetime | None = None
    for index, run in enumerate(runs):
        gave_up = any(event.kind == "gave_up" for event in gaps[index + 1])
        end = run.ended_at or session.now
        summaries.append(
            RunSummary(
                run=run,
                ending=classify(run, gave_up_after=gave_up),
                end=max(end, run.started_at),
                recovery=run.started_at - previous_end if previous_end else None,
                before=gaps[index],
                events=by_run[run.run_id],
                turns=turns[run.run_id],
                after=gaps[index + 1] if index == len(runs) - 1 else [],
            )
        )
        previous_end = run.ended_at
    return summaries


def _turns_by_run(
    runs: Sequence[RunRecord], turns: Sequence[TurnRecord], now: datetime
) -> dict[int, list[TurnRecord]]:
    placed: dict[int, list[TurnRecord]] = {run.run_id: [] for run in runs}
    for turn in sorted(turns, key=lambda turn: turn.seq):
        if turn.run_id in placed:
            placed[turn.run_id].append(turn)
            continue
        # An item stored without its run: the run that was open at the time.
        for run in runs:
            if run.started_at <= turn.at <= (run.ended_at or now):
                placed[run.run_id].append(turn)
                break
    return placed


# -- continuity verdict --------------------------------------------------------
@dataclass(frozen=True)
class Restore:
    run_id: int
    seed_items: int | None
    stored_before: int  # items the transcript held when the run began

    @property
    def partial(self) -> bool:
        return self.seed_items is not None and self.seed_items < self.stored_before


@dataclass(frozen=True)
class GiveUp:
    at: datetime
    reason: str
    detail: str


@dataclass(frozen=True)
class Verdict:
    level: str  # "ok", "warn" or "bad"
    headline: str
    replayed_turns: int
    restores: list[Restore]
    replies_after_restore: int
    give_ups: list[GiveUp]
    fresh_starts: list[Restore]  # later runs that began a new session


def continuity(session: Session, summaries: Sequence[RunSummary]) -> Verdict:
    """Was context kept across the conversation's reconnects, and what it cost."""

    def stored_before(run: RunRecord) -> int:
        return sum(1 for turn in session.turns if turn.at < run.started_at)

    restores = [
        Restore(s.run_id, s.seed_items, stored_before(s.run))
        for s in summaries
        if s.run.began == Began.RESTORED_FROM_TRANSCRIPT
    ]
    fresh = [
        Restore(s.run_id, s.seed_items, stored_before(s.run))
        for s in summaries[1:]
        if s.run.began == Began.NEW and stored_before(s.run) > 0
    ]
    give_ups = [
        GiveUp(
            event.at,
            str(event.data.get("reason") or "gave_up"),
            str(event.data.get("detail") or ""),
        )
        for event in sorted(session.events, key=lambda event: event.at)
        if event.kind == "gave_up"
    ]
    replies_after_restore = sum(
        s.replies for s in summaries if s.run.began == Began.RESTORED_FROM_TRANSCRIPT
    )
    replayed = sum(s.replayed_turns for s in summaries)
    reconnects = max(len(summaries) - 1, 0)
    if give_ups:
        level = "bad"
        headline = f"Gave up {_times(len(give_ups))}: the user had to resume by hand."
    elif fresh:
        level = "bad"
        headline = (
            f"Context lost: {_times(len(fresh), 'run')} began a new Live session "
            "with stored turns not carried over."
        )
    elif any(restore.partial for restore in restores):
        level = "warn"
        headline = (
            "Context rebuilt from the transcript, but older items were left out "
            "of the seed."
        )
    elif restores:
        level = "warn"
        headline = (
            f"Context rebuilt from the stored transcript {_times(len(restores))}."
        )
    elif reconnects:
        level = "ok"
        headline = (
            f"Context kept: {_times(reconnects, 'reconnect')} resumed with a handle."
        )
    elif summaries:
        level = "ok"
        headline = "One connection, no reconnects."
    else:
        level = "ok"
        headline = "No connection to Live yet."
    return Verdict(
        level=level,
        headline=headline,
        replayed_turns=replayed,
        restores=restores,
        replies_after_restore=replies_after_restore,
        give_ups=give_ups,
        fresh_starts=fresh,
    )


def _times(count: int, noun: str = "") -> str:
    if noun:
        return f"{count} {noun}{'' if count == 1 else 's'}"
    return "once" if count == 1 else f"{count} times"


# -- words ---------------------------------------------------------------------
def human_duration(delta: timedelta | None) -> str:
    """`0.4 s`, `12 s`, `2 min 39 s`, `1 h 3 min`, `2 d 3 h`; `—` for none."""
    if delta is None:
        return "—"
    seconds = delta.total_seconds()
    sign = "−" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds < 10:
        return f"{sign}{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{sign}{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{sign}{minutes} min {secs} s" if secs else f"{sign}{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{sign}{hours} h {minutes} min" if minutes else f"{sign}{hours} h"
    days, hours = divmod(hours, 24)
    return f"{sign}{days} d {hours} h" if hours else f"{sign}{days} d"


def describe_event(event: EventRecord) -> str:
    """One line about an event, from its kind and whatever its data holds."""
    data = event.data
    get = data.get
    kind = event.kind
    if kind == "setup":
        seeded = f", seeded with {get('seed_items')} items" if get("seed_items") else ""
        return (
            f"Set up: {BEGAN_LABELS.get(str(get('began')), get('began'))}{seeded}"
            f" · {get('model') or '?'} · {get('modality') or '?'}"
            f" · {get('credential') or '?'}"
        )
    if kind == "attempt_failed":
        code = f" ({get('code')})" if get("code") is not None else ""
        reason = f": {get('reason')}" if get("reason") else ""
        return f"Attempt {get('attempt')} failed at {get('stage')}{code}{reason}"
    if kind == "reconnect":
        return f"Reconnect, attempt {get('attempt')}, in {get('delay_ms')} ms"
    if kind == "handle":
        covers = get("covers_seq")
        flags = [
            "resumable" if get("resumable") else "not resumable",
            "usable" if get("usable") else "not usable",
        ]
        if covers is not None:
            flags.append(f"covers #{covers}")
        return f"Resumption update: {', '.join(flags)}"
    if kind == "goaway":
        left = get("time_left_s")
        return f"goAway: {left} s left" if left is not None else "goAway"
    if kind == "user_turn":
        seq = f" #{get('seq')}" if get("seq") is not None else ""
        again = " again after a drop" if get("replayed") else ""
        return f"User turn{seq} sent{again}"
    if kind == "usage":
        return (
            f"Tokens: {get('prompt', 0)} prompt + {get('response', 0)} response"
            f" = {get('total', 0)}"
        )
    if kind == "audio":
        return (
            f"Audio: in {get('in_frames', 0)} frames, {get('in_seconds', 0)} s;"
            f" out {get('out_frames', 0)} frames, {get('out_seconds', 0)} s"
        )
    if kind == "close":
        shown = f" {get('code')}" if get("code") is not None else ""
        reason = f" “{get('close_reason')}”" if get("close_reason") else ""
        why = END_REASON_LABELS.get(str(get("reason")), get("reason"))
        return f"Closed by {get('by') or '?'}: {why}{shown}{reason}"
    if kind == "gave_up":
        detail = f": {get('detail')}" if get("detail") else ""
        return f"Gave up ({get('reason') or 'gave_up'}){detail}"
    simple = {
        "interrupted": "Reply interrupted",
        "generation_complete": "Generation complete",
        "turn_complete": "Turn complete",
    }
    if kind in simple:
        return simple[kind]
    pairs = ", ".join(f"{key}={value}" for key, value in data.items())
    return f"{kind}: {pairs}" if pairs else kind


@dataclass(frozen=True)
class EventLine:
    at: datetime
    kind: str
    text: str
    between_runs: bool


def event_lines(summary: RunSummary, limit: int = 200) -> tuple[list[EventLine], int]:
    """The run's events with those between runs around it, and how many were cut."""
    everything = [
        *((event, True) for event in summary.before),
        *((event, False) for event in summary.events),
        *((event, True) for event in summary.after),
    ]
    lines = [
        EventLine(event.at, event.kind, describe_event(event), between)
        for event, between in everything[:limit]
    ]
    return lines, max(len(everything) - limit, 0)
