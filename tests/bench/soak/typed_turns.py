"""A page's typed turns: ids, the outbox, acknowledgements and re-sends."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.bench.soak.answers import REPLY

if TYPE_CHECKING:
    from tests.bench.soak.page import Page
    from tests.bench.soak.page_socket import PageSocket

WORDS = (
    "amber", "birch", "cedar", "delta", "ember", "fjord", "garnet", "harbor",
    "indigo", "juniper", "kestrel", "lantern", "meadow", "nectar", "orchid",
    "pebble", "quartz", "raven", "saffron", "tundra",
)  # fmt: skip


@dataclass
class TypedTurn:
    turn_id: str
    text: str
    submitted_at: float
    sends: int = 0
    acked_seq: int | None = None
    answered_at: float | None = None


class TypedTurns:
    """Every turn a page typed; those not yet acknowledged wait in the outbox."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.turns: list[TypedTurn] = []
        self.outbox: dict[str, TypedTurn] = {}
        self.by_text: dict[str, TypedTurn] = {}

    async def type_turn(self, number: int) -> None:
        page = self.page
        turn = TypedTurn(
            turn_id=f"c{page.index}-t{number}",
            text=f"c{page.index} t{number} {page.rng.choice(WORDS)}",
            submitted_at=time.monotonic(),
        )
        self.turns.append(turn)
        self.by_text[turn.text] = turn
        self.outbox[turn.turn_id] = turn
        if page.socket is not None and page.socket.is_owner:
            await self.send(page.socket, turn)
        await page.until(
            lambda: turn.answered_at is not None, page.soak.options.turn_timeout_s
        )

    def acknowledge(self, item: dict[str, Any]) -> None:
        turn = self.outbox.get(item.get("id") or "")
        if turn is None and not item.get("id"):
            # A server that does not echo ids yet: the text tells.
            turn = next(
                (t for t in self.outbox.values() if t.text == item.get("content")), None
            )
        if turn is not None:
            turn.acked_seq = item["seq"]
            del self.outbox[turn.turn_id]

    def note_answer(self, item: dict[str, Any]) -> None:
        match = REPLY.match(item.get("content") or "")
        turn = self.by_text.get(match.group(2)) if match else None
        if turn is not None and turn.answered_at is None:
            turn.answered_at = time.monotonic()
            self.page.soak.tally.text_latencies.append(
                turn.answered_at - turn.submitted_at
            )

    async def resend_unacknowledged(self, socket: PageSocket) -> None:
        for turn in list(self.outbox.values()):
            await self.send(socket, turn)

    async def send(self, socket: PageSocket, turn: TypedTurn) -> None:
        page = self.page
        if page.cut_armed and page.rng.random() < 0.5:
            # Sent into a socket that had died already: it never arrives.
            turn.sends += 1
            page.cut_if_armed(socket)
            return
        if await socket.send(type="text", id=turn.turn_id, text=turn.text):
            turn.sends += 1
            page.cut_if_armed(socket)
