"""Simulated talking users of the voice benchmark: straight to Live, or through Daphne.

A user streams 20 ms PCM16 frames in real time: 0.6 s of speech, then silence
until the reply has come (and a little more), for each turn. Latency is taken
from the end of the user's speech, i.e. the moment the 500 ms of silence that
ends a turn was sent, to the first reply audio frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from conversations.live import protocol
from conversations.live.config import LiveConfig
from tests.harness import Worker
from tests.integration.socket_client import open_page_socket
from tests.integration.talk import pcm16_silence, pcm16_tone

FRAME_S = 0.02
FRAME_BYTES = int(16000 * FRAME_S) * 2
SPEECH_S = 0.6
SILENCE_ENDS_TURN_S = 0.5
AFTER_REPLY_S = 0.2
REPLY_TIMEOUT_S = 10.0
OUTPUT_BYTES_PER_S = 24000 * 2
SPEECH_FRAMES = [
    frame
    for frame in (
        pcm16_tone(SPEECH_S)[i : i + FRAME_BYTES]
        for i in range(0, int(16000 * SPEECH_S) * 2, FRAME_BYTES)
    )
]
SILENCE_FRAME = pcm16_silence(FRAME_S)
END_AFTER_FRAMES = round(SILENCE_ENDS_TURN_S / FRAME_S)
MODEL = "gemini-3.8-live"


@dataclass
class TurnResult:
    latency_ms: float | None  # None: no reply within REPLY_TIMEOUT_S
    real_time: bool = False


@dataclass
class Listener:
    """What a user hears: audio frames with their arrival, and ended turns."""

    arrivals: list[tuple[float, float]] = field(default_factory=list)
    turns_ended: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    errors: list[str] = field(default_factory=list)
    closed: bool = False

    def audio(self, seconds: float) -> None:
        self.arrivals.append((time.perf_counter(), seconds))

    def turn_ended(self) -> None:
        self.turns_ended += 1
        self.changed.set()


class User:
    """One talking user; `send` and the reader are the path's own."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.heard = Listener()
        self.turns_started = 0
        self._reader = asyncio.create_task(self._read())
        self.speech: list[str | bytes] = list(SPEECH_FRAMES)
        self.silence: str | bytes = SILENCE_FRAME

    async def _read(self) -> None:
        try:
            async for frame in self.connection:
                self.on_frame(frame)
        except (ConnectionClosed, OSError):
            pass
        finally:
            self.heard.closed = True
            self.heard.changed.set()

    def on_frame(self, frame: str | bytes) -> None:
        raise NotImplementedError

    async def talk(self, turns: int) -> list[TurnResult]:
        results = []
        for _ in range(turns):
            results.append(await self._turn())
        return results

    async def _turn(self) -> TurnResult:
        heard = self.heard
        start = time.perf_counter()
        sent = 0
        end_of_speech = 0.0

        async def send(frame: str | bytes) -> None:
            nonlocal sent, end_of_speech
            await self.connection.send(frame)
            sent += 1
            if sent == len(self.speech) + END_AFTER_FRAMES:
                end_of_speech = time.perf_counter()
            await asyncio.sleep(max(0.0, start + sent * FRAME_S - time.perf_counter()))

        # A reply that came too late for its turn is heard out first.
        late = start + REPLY_TIMEOUT_S
        while heard.turns_ended < self.turns_started and not heard.closed:
            if time.perf_counter() > late:
                break
            await send(self.silence)
        self.turns_started += 1
        ended, start, sent = heard.turns_ended, time.perf_counter(), 0
        for frame in self.speech:
            await send(frame)
        for _ in range(END_AFTER_FRAMES):
            await send(self.silence)
        deadline = end_of_speech + REPLY_TIMEOUT_S
        while heard.turns_ended == ended and not heard.closed:
            if time.perf_counter() > deadline:
                return TurnResult(None)
            await send(self.silence)
        for _ in range(round(AFTER_REPLY_S / FRAME_S)):
            await send(self.silence)
        reply = [a for a in heard.arrivals[-400:] if a[0] > end_of_speech]
        if not reply:
            return TurnResult(None)
        return TurnResult(
            (reply[0][0] - end_of_speech) * 1000, real_time=_plays_whole(reply)
        )

    async def close(self) -> None:
        with contextlib.suppress(ConnectionClosed, OSError, TimeoutError):
            async with asyncio.timeout(5):
                await self.connection.close()
        self.connection.transport.abort()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


def _plays_whole(reply: list[tuple[float, float]]) -> bool:
    """Each frame came before the audio ahead of it had played (from the first)."""
    first = reply[0][0]
    queued = 0.0
    for arrived, seconds in reply:
        if arrived - first > queued:
            return False
        queued += seconds
    return True


class DirectUser(User):
    """Straight to the emulator on the Live wire: the baseline."""

    @classmethod
    async def open(cls, emulator_url: str) -> DirectUser:
        base = emulator_url.replace("http", "ws", 1)
        connection = await connect(
            f"{base}/ws/google.ai.generativelanguage.v1beta.GenerativeService."
            "BidiGenerateContent?key=emulator-key",
            compression=None,
            max_size=None,
            open_timeout=30,
        )
        config = LiveConfig(api_base=emulator_url, api_key="emulator-key", model=MODEL)
        try:
            await connection.send(protocol.encode(config.setup_message(None)))
            await connection.recv()  # setupComplete
        except BaseException:
            connection.transport.abort()
            raise
        user = cls(connection)
        user.speech = [_DIRECT_FRAMES[bytes(frame)] for frame in SPEECH_FRAMES]
        user.silence = _DIRECT_FRAMES[SILENCE_FRAME]
        return user

    def on_frame(self, frame: str | bytes) -> None:
        message: dict[str, Any] = json.loads(frame)
        content = message.get("serverContent") or {}
        for part in (content.get("modelTurn") or {}).get("parts") or []:
            data = (part.get("inlineData") or {}).get("data")
            if data:
                size = len(data) * 3 // 4 - data.count("=", -2)
                self.heard.audio(size / OUTPUT_BYTES_PER_S)
        if content.get("turnComplete"):
            self.heard.turn_ended()


_DIRECT_FRAMES = {
    frame: protocol.encode(protocol.build_audio(frame))
    for frame in [*SPEECH_FRAMES, SILENCE_FRAME]
}


class ProxiedUser(User):
    """A page's socket on a Daphne worker: binary PCM16 up, binary PCM16 down."""

    @classmethod
    async def open(cls, worker: Worker, public_id: str, cookie: str) -> ProxiedUser:
        connection = await open_page_socket(
            worker, public_id, cookie, open_timeout=60, max_size=None
        )
        user = cls(connection)
        user.connected = asyncio.Event()
        try:
            await connection.send(json.dumps({"type": "hello", "last_seq": 0}))
            async with asyncio.timeout(60):
                await user.connected.wait()
        except BaseException:
            await user.close()
            raise
        return user

    connected: asyncio.Event

    def on_frame(self, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            self.heard.audio(len(frame) / OUTPUT_BYTES_PER_S)
            return
        event = json.loads(frame)
        kind = event.get("type")
        if kind == "turn.complete":
            self.heard.turn_ended()
        elif kind == "status" and event.get("status") == "connected":
            self.connected.set()
        elif kind == "error":
            self.heard.errors.append(str(event.get("code")))
