"""A browser-socket client for end-to-end tests: a real WebSocket to a Daphne worker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed


async def open_page_socket(
    worker: Any, public_id: str, session_cookie: str, **options: Any
) -> ClientConnection:
    """Open a conversation's socket on `worker` as a signed-in page does.

    `options` go to ``websockets``' ``connect`` (timeouts, ``max_size`` …).
    """
    return await connect(
        f"{worker.ws_url}/ws/conversations/{public_id}/",
        origin=worker.url,
        additional_headers={"Cookie": f"sessionid={session_cookie}"},
        **options,
    )


class BrowserSocket:
    """What a page does on the wire: hello, turns, and everything it receives."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.events: list[dict[str, Any]] = []
        self.audio_bytes = 0
        self._cursor = 0
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, worker, public_id: str, session_cookie: str) -> BrowserSocket:
        return cls(await open_page_socket(worker, public_id, session_cookie))

    async def _read(self) -> None:
        try:
            async for frame in self.connection:
                if isinstance(frame, bytes):
                    self.audio_bytes += len(frame)
                else:
                    self.events.append(json.loads(frame))
                self._arrived.set()
        except ConnectionClosed:
            pass
        finally:
            self._arrived.set()

    async def send(self, **frame: Any) -> None:
        await self.connection.send(json.dumps(frame))

    async def send_audio(self, pcm16: bytes) -> None:
        await self.connection.send(pcm16)

    async def hello(self, last_seq: int = 0) -> None:
        await self.send(type="hello", last_seq=last_seq)

    async def expect(
        self,
        kind: str | tuple[str, ...],
        where: Callable[[dict[str, Any]], bool] = lambda event: True,
        within_s: float = 15.0,
    ) -> dict[str, Any]:
        """Wait for the next event of `kind` (or of any of several kinds), after
        the last one expected."""
        kinds = (kind,) if isinstance(kind, str) else kind
        async with asyncio.timeout(within_s):
            while True:
                for index in range(self._cursor, len(self.events)):
                    event = self.events[index]
                    if event["type"] in kinds and where(event):
                        self._cursor = index + 1
                        return event
                if self._reader.done():
                    raise AssertionError(
                        f"socket closed before {kind!r}; got {self.kinds()}"
                    )
                self._arrived.clear()
                await self._arrived.wait()

    def kinds(self) -> list[str]:
        return [event["type"] for event in self.events]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == kind]

    def statuses(self) -> list[str]:
        return [event["status"] for event in self.of("status")]

    async def close(self) -> None:
        await self.connection.close()
        await self._reader
