"""The report: the run's figures, the defects with their first details, the verdict."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.bench.soak.checks import ConversationCheck
from tests.bench.soak.verdict import find_defects
from tests.harness import AppServer

if TYPE_CHECKING:
    from tests.bench.soak.phases import Soak

DETAILS_SHOWN = 5


@dataclass
class SoakResult:
    lines: list[str]
    defects: dict[str, list[str]]

    @property
    def passed(self) -> bool:
        return not any(self.defects.values())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def build_result(
    soak: Soak, records: dict[str, dict], truth: dict[str, Any], duration: float
) -> SoakResult:
    defects, checks = find_defects(soak, records, truth)
    lines = _figures(soak, records, checks, duration)
    lines += _defect_lines(defects)
    failed = [f"{kind} {len(found)}" for kind, found in defects.items() if found]
    lines.append("VERDICT: " + (f"FAIL ({', '.join(failed)})" if failed else "PASS"))
    return SoakResult(lines=lines, defects=defects)


def percentile(values: list[float], fraction: float) -> str:
    """Nearest-rank percentile in seconds, or "n/a" without samples."""
    if not values:
        return "n/a"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]:.2f}s"


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items())) or "none"


def _log_lines(server: AppServer, words: str) -> int:
    """How many lines of the workers' logs contain ``words``."""
    return sum(
        words in line for worker in server.workers for line in worker.log().splitlines()
    )


def _figures(
    soak: Soak,
    records: dict[str, dict],
    checks: list[ConversationCheck],
    duration: float,
) -> list[str]:
    options, tally = soak.options, soak.tally
    pages = soak.pages
    voice = sum(page.mode == "voice" for page in pages)
    runs = [run for record in records.values() for run in record["runs"]]
    per_conversation = sorted(len(record["runs"]) for record in records.values())
    typed_sent = [turn for page in pages for turn in page.typed.turns if turn.sends]
    utterances = [u for page in pages for u in page.voice.utterances]
    database = "postgresql" if options.workers > 1 else "sqlite"
    layer = "redis" if options.workers > 1 else "in-memory"
    text_lat, voice_lat = tally.text_latencies, tally.voice_latencies
    lines = [
        f"seed: {soak.seed}",
        f"workers: {options.workers} ({database}, {layer} channel layer); "
        f"killed: {tally.killed or 'none'}",
        f"conversations: {len(pages)} ({len(pages) - voice} text, {voice} voice) x "
        f"{options.turns} turns",
        f"duration: {duration:.1f}s (turns until {soak.turns_ended:.1f}s, settled "
        f"at {soak.settled_at:.1f}s)",
        f"faults injected: {sum(tally.faults.values())} ({_counts(tally.faults)})",
        f"typed turns: {len(typed_sent)} sent ("
        f"{sum(t.sends for t in typed_sent) - len(typed_sent)} re-sends), "
        f"{sum(c.typed_stored for c in checks)} stored, "
        f"{sum(c.typed_answered for c in checks)} answered; send to answer p50 "
        f"{percentile(text_lat, 0.5)} p95 {percentile(text_lat, 0.95)}",
        f"voice utterances: {len(utterances)} ("
        f"{sum(u.attempts for u in utterances)} spoken, "
        f"{sum(u.repeats for u in utterances)} repeats, "
        f"{sum(u.skipped for u in utterances)} skipped), "
        f"{sum(c.spoken_stored for c in checks)} stored, "
        f"{sum(c.spoken_answered for c in checks)} answered; end of speech to "
        f"answer p50 {percentile(voice_lat, 0.5)} p95 {percentile(voice_lat, 0.95)}",
        f"runs: {len(runs)} (per conversation min {per_conversation[0] if runs else 0}"
        f", median {per_conversation[len(per_conversation) // 2] if runs else 0}, "
        f"max {per_conversation[-1] if runs else 0})",
        f"runs began: {_counts(Counter(run['began'] for run in runs))}",
        f"restores from transcript: "
        f"{sum(run['began'] == 'restored_from_transcript' for run in runs)}",
        "runs ended: " + _counts(Counter(run["end_reason"] or "open" for run in runs)),
        f"browser sockets: {_counts(tally.sockets)}",
        f"statuses seen: {_counts(tally.statuses)}",
        f"give-ups: {len(tally.give_ups)}; reconnecting statuses: "
        f"{tally.statuses['reconnecting']}",
        f"errors seen: {_counts(tally.errors)}",
        # channels_redis logs each group send that found a member's channel full.
        "channel layer: group sends that met a full channel: "
        f"{_log_lines(soak.server, 'over capacity in group')}",
    ]
    return lines


def _defect_lines(defects: dict[str, list[str]]) -> list[str]:
    lines = ["defects: " + ", ".join(f"{k} {len(v)}" for k, v in defects.items())]
    for kind, found in defects.items():
        for detail in found[:DETAILS_SHOWN]:
            lines.append(f"  {kind}: {detail}")
        if len(found) > DETAILS_SHOWN:
            lines.append(f"  {kind}: ... and {len(found) - DETAILS_SHOWN} more")
    return lines
