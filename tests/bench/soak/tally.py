"""The counts the soak keeps while it runs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Tally:
    """What the pages and the fault injector saw while the soak ran."""

    faults: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    sockets: Counter[str] = field(default_factory=Counter)
    give_ups: list[str] = field(default_factory=list)
    stale_statuses: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    text_latencies: list[float] = field(default_factory=list)
    voice_latencies: list[float] = field(default_factory=list)
    turns_done: int = 0
    killed: str = ""
