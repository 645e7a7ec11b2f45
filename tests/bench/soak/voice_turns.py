"""A page's voice turns: utterances spoken as real-time PCM, said again if cut."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tests.integration.talk import pcm16_silence, pcm16_tone

if TYPE_CHECKING:
    from tests.bench.soak.page import Page
    from tests.bench.soak.page_socket import PageSocket

FRAME_S = 0.02
FRAME_BYTES = int(16000 * FRAME_S) * 2
# Loud enough for the emulator's VAD, then silence long enough to end the turn.
UTTERANCE = pcm16_tone(0.6) + pcm16_silence(0.8)
UTTERANCE_FRAMES = [
    UTTERANCE[start : start + FRAME_BYTES]
    for start in range(0, len(UTTERANCE), FRAME_BYTES)
]
MAX_VOICE_ATTEMPTS = 3


@dataclass
class Utterance:
    turn: int
    attempts: int = 0
    repeats: int = 0
    # The last attempt was spoken whole on an owner socket that stayed up.
    spoken_whole: bool = False
    heard: bool = False
    skipped: bool = False


class VoiceTurns:
    """Every utterance a page spoke, and how each attempt at it went."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.utterances: list[Utterance] = []

    async def speak_turn(self, number: int) -> None:
        utterance = Utterance(turn=number)
        self.utterances.append(utterance)
        # One budget for the turn, repeats included.
        deadline = time.monotonic() + self.page.soak.options.turn_timeout_s
        while utterance.attempts < MAX_VOICE_ATTEMPTS:
            # A person talks once the page says Live is there.
            if not await self.page.until(self.can_talk, _left(deadline)):
                utterance.skipped = utterance.attempts == 0
                return
            if utterance.attempts:
                utterance.repeats += 1
            if not await self._attempt(utterance, deadline):
                return

    def can_talk(self) -> bool:
        return self.page.is_owner and self.page.upstream == "connected"

    async def _attempt(self, utterance: Utterance, deadline: float) -> bool:
        """Speak once; True when the person should say it again."""
        page = self.page
        socket = page.socket
        assert socket is not None
        base, dropped = page.last_seq, page.audio_dropped_warnings
        utterance.attempts += 1
        whole = await self._speak(socket)
        spoke_at = time.monotonic()

        def moved_on() -> bool:
            return page.socket is not socket or not socket.is_owner

        await page.until(
            lambda: self.answered_after(base) or moved_on(), _left(deadline)
        )
        if self.answered_after(base):
            utterance.heard = True
            page.soak.tally.voice_latencies.append(time.monotonic() - spoke_at)
            return False
        cut = moved_on()
        if cut:
            # Back on a socket, the replayed items tell whether it was heard.
            await page.until(lambda: page.is_owner, _left(deadline))
            await asyncio.sleep(0.5)
        utterance.heard = self.heard_after(base) is not None
        utterance.spoken_whole = whole and not cut
        told_dropped = page.audio_dropped_warnings > dropped
        return not utterance.heard and (cut or not whole or told_dropped)

    async def _speak(self, socket: PageSocket) -> bool:
        """Stream the utterance in real time; False if the socket went first."""
        page = self.page
        started = time.monotonic()
        for number, frame in enumerate(UTTERANCE_FRAMES, start=1):
            if page.socket is not socket or not socket.is_owner:
                return False
            if not await socket.send_audio(frame):
                return False
            if page.rng.random() < 1 / len(UTTERANCE_FRAMES):
                page.cut_if_armed(socket)
            await asyncio.sleep(max(0.0, started + number * FRAME_S - time.monotonic()))
        return True

    def heard_after(self, seq: int) -> int | None:
        """Seq of the first spoken user item stored after ``seq``."""
        spoken = [
            s
            for s, item in self.page.items.items()
            if s > seq
            and item.get("role") == "user"
            and item.get("modality") == "audio"
        ]
        return min(spoken) if spoken else None

    def answered_after(self, seq: int) -> bool:
        heard = self.heard_after(seq)
        return heard is not None and any(
            s > heard and item.get("role") == "assistant"
            for s, item in self.page.items.items()
        )


def _left(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())
