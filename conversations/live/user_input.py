"""What the user sends, on its way to whichever connection is current.

Typed turns wait in the ledger until Live can take them (connected, every earlier
turn answered, no speech still settling, no `goAway` announced); audio goes out at
once and is kept for replay; a tool response lives only as long as its connection.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

from . import protocol
from .events import TurnId, UserTurnSent, WarningKind
from .ledger import Ledger
from .protocol import FunctionResponse
from .reporter import Reporter
from .timers import OneShot
from .uplink import Uplink


class UserInput:
    """The session's input side: queues, sends and keeps what the user says."""

    def __init__(
        self,
        ledger: Ledger,
        uplink: Uplink,
        report: Reporter,
        *,
        rotating: Callable[[], bool],
    ) -> None:
        self._ledger = ledger
        self._uplink = uplink
        self._report = report
        self._rotating = rotating  # a goAway was announced: the next connection sends
        self._held_turns = OneShot()  # typed turns waiting for speech to settle
        self._audio_gap_reported = False

    def connection_opened(self) -> None:
        self._audio_gap_reported = False

    def cancel(self) -> None:
        self._held_turns.cancel()

    async def text(self, text: str, turn_id: TurnId | None) -> TurnId:
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a user turn needs non-empty text")
        turn_id = uuid.uuid4().hex if turn_id is None else turn_id
        self._ledger.queue_text(turn_id, text)
        await self.pump()
        return turn_id

    async def audio(self, pcm16_16khz: bytes) -> bool:
        if not isinstance(pcm16_16khz, bytes | bytearray) or len(pcm16_16khz) % 2:
            raise ValueError("audio must be PCM16 bytes (an even number of bytes)")
        if not pcm16_16khz:
            return False
        pcm = bytes(pcm16_16khz)
        now = time.monotonic()
        kept_all = self._ledger.audio(pcm, now)
        if self._held_turns.scheduled:
            # A typed turn waits for the speech to settle: it goes on settling.
            settles_in = self._ledger.speech_settles_in(now)
            self._held_turns.start(settles_in, self._pump_when_settled)
        if await self._uplink.send(protocol.build_audio(pcm)):
            return True
        if not kept_all and not self._audio_gap_reported:
            self._audio_gap_reported = True
            await self._report.warn(
                WarningKind.AUDIO_DROPPED,
                "Live was away too long: the start of what you said was dropped",
            )
        return False

    async def audio_ended(self) -> bool:
        self._ledger.audio_ended()
        return await self._uplink.send(protocol.build_audio_stream_end())

    async def tool_response(self, responses: Sequence[FunctionResponse]) -> bool:
        if not responses:
            raise ValueError("no function responses given")
        if await self._uplink.send(protocol.build_tool_response(responses)):
            return True
        await self._report.warn(
            WarningKind.TOOL_RESPONSE_DROPPED,
            "tool response dropped: its connection is gone",
        )
        return False

    async def pump(self) -> None:
        """Send the next typed turn if Live is ready and every earlier one answered."""
        if self._rotating():
            return  # the next connection takes it
        now = time.monotonic()
        turn = await self._uplink.send_next_turn(self._ledger, now)
        if turn is not None:
            await self._report.emit(
                UserTurnSent(turn.turn_id, turn.text, turn.sends > 1)
            )
            return
        settles_in = self._ledger.speech_settles_in(now)
        if settles_in > 0 and not self._held_turns.scheduled:
            self._held_turns.start(settles_in, self._pump_when_settled)

    async def _pump_when_settled(self) -> None:
        self._held_turns.cancel()
        await self.pump()
