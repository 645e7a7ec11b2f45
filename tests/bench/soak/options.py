"""What one soak run is asked to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SoakOptions:
    conversations: int = 50
    turns: int = 30
    workers: int = 1
    kill: bool | None = None  # None: kill one worker when there are two
    seed: int | None = None
    voice_every: int = 3  # every n-th conversation is a voice one
    turn_timeout_s: float = 60.0
    settle_s: float = 90.0
    time_limit_s: float = 900.0  # for the turns; the settle period comes after
    fault_every_s: tuple[float, float] = (1.0, 3.0)
    progress: bool = False  # a line every 15 s while the turns run

    @property
    def kills_a_worker(self) -> bool:
        return self.workers > 1 and self.kill is not False
