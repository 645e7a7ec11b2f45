"""Plain inspector records at chosen seconds after a fixed moment."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from conversations.inspector import EventRecord, RunRecord, Session

T0 = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
SVG_NS = "{http://www.w3.org/2000/svg}"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def run(
    run_id: int,
    start: float,
    end: float | None,
    reason: str = "network",
    *,
    began: str = "resumed_with_handle",
    code: int | None = None,
) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        began=began,
        started_at=at(start),
        ended_at=at(end) if end is not None else None,
        end_reason=reason if end is not None else "",
        close_code=code,
    )


def event(
    seconds: float, kind: str, run_id: int | None = None, **data: object
) -> EventRecord:
    return EventRecord(at=at(seconds), kind=kind, run_id=run_id, data=data)


def session(runs, events=(), turns=(), now: float = 10_000) -> Session:
    return Session(runs=runs, events=list(events), turns=list(turns), now=at(now))


def parse(svg_text: str) -> ET.Element:
    return ET.fromstring(svg_text)


def lanes(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG_NS}g") if "lane" in g.get("class", "")]
