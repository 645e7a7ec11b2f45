"""The connection user input goes to: open for sending once it is set up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from websockets.exceptions import ConnectionClosed

from . import protocol
from .client import LiveConnection
from .events import EndReason
from .ledger import Ledger, TypedTurn

logger = logging.getLogger(__name__)


class Uplink:
    """The current connection, sending one message at a time.

    `ending` says why the session itself closed the connection, if it did.
    """

    def __init__(self) -> None:
        self.connection: LiveConnection | None = None
        self.ending: EndReason | None = None
        self._ready = False
        self._lock = asyncio.Lock()

    def attach(self, connection: LiveConnection) -> None:
        self.connection = connection
        self.ending = None
        self._ready = False

    def detach(self) -> None:
        self.connection = None
        self._ready = False

    async def open(self, seed: Sequence[tuple[str, str]], ledger: Ledger) -> None:
        """Send the seed and the unanswered utterance first, then take any input."""
        connection = self.connection
        if connection is None:
            return
        async with self._lock:
            with contextlib.suppress(ConnectionClosed):
                if seed:
                    await connection.send(protocol.build_history(seed))
                chunks, ended = ledger.audio_to_replay()
                for pcm in chunks:
                    await connection.send(protocol.build_audio(pcm))
                if chunks and ended:
                    await connection.send(protocol.build_audio_stream_end())
                if chunks:
                    logger.info("replayed %d unanswered audio chunks", len(chunks))
            self._ready = True

    async def send(self, message: dict[str, Any]) -> bool:
        """Send now if the connection is open for input; returns whether it was."""
        connection = self.connection
        if not self._ready or connection is None:
            return False
        try:
            await connection.send(message)
        except ConnectionClosed:
            return False
        return True

    async def send_next_turn(self, ledger: Ledger, now: float) -> TypedTurn | None:
        """Send the typed turn the ledger says is next, if any; returns it."""
        async with self._lock:
            connection = self.connection
            if not self._ready or connection is None:
                return None
            turn = ledger.next_text(now)
            if turn is None:
                return None
            ledger.text_sent(turn)
            try:
                await connection.send(protocol.build_user_turn(turn.text))
            except ConnectionClosed:
                return None
        return turn

    async def close(self, ending: EndReason, code: int, reason: str) -> None:
        """Close the connection on purpose: the session says why.

        Only the first reason counts, except the user's, which always does.
        """
        connection = self.connection
        if connection is None:
            return
        if self.ending is not None and ending != EndReason.USER:
            return
        self.ending = ending
        self._ready = False
        with contextlib.suppress(ConnectionClosed, OSError):
            await connection.close(code, reason)
