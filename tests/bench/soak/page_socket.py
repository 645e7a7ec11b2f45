"""One browser socket of a simulated page: open, read, send, cut, close."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import traceback
from typing import TYPE_CHECKING, Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.harness import Worker
from tests.integration.socket_client import open_page_socket

if TYPE_CHECKING:
    from tests.bench.soak.page import Page

SEND_TIMEOUT_S = 10


class PageSocket:
    """One browser socket of a page (one device); events go to the page."""

    def __init__(
        self, page: Page, worker: Worker, connection: ClientConnection
    ) -> None:
        self.page = page
        self.worker = worker
        self.connection = connection
        self.role: str | None = None
        self.takeover_asked_at: float | None = None
        self.opened_at = time.monotonic()
        self.replaced = asyncio.Event()
        self.closed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, page: Page, worker: Worker, cookie: str) -> PageSocket:
        connection = await open_page_socket(
            worker, page.public_id, cookie, open_timeout=5, close_timeout=2
        )
        return cls(page, worker, connection)

    @property
    def is_owner(self) -> bool:
        return self.role == "owner" and not self.closed.is_set()

    async def _read(self) -> None:
        try:
            async for frame in self.connection:
                if isinstance(frame, str):
                    await self.page.on_event(self, json.loads(frame))
        except (ConnectionClosed, OSError):
            pass
        except Exception:
            # A fault of the soak itself: show it, and carry on as after a cut.
            traceback.print_exc()
            self.page.soak.tally.sockets["soak errors"] += 1
        finally:
            self.closed.set()
            self.page.on_socket_closed(self)

    async def send(self, **frame: Any) -> bool:
        return await self._send(json.dumps(frame))

    async def send_audio(self, pcm16: bytes) -> bool:
        return await self._send(pcm16)

    async def _send(self, data: str | bytes) -> bool:
        try:
            async with asyncio.timeout(SEND_TIMEOUT_S):
                await self.connection.send(data)
        except (ConnectionClosed, OSError):
            return False
        except TimeoutError:
            # A socket that takes nothing for this long is as good as dead.
            self.abort()
            return False
        return True

    def abort(self) -> None:
        """Cut the TCP connection without a close frame, as a lost network does."""
        self.connection.transport.abort()

    async def close(self) -> None:
        with contextlib.suppress(ConnectionClosed, OSError, TimeoutError):
            async with asyncio.timeout(5):
                await self.connection.close()
        self.abort()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
