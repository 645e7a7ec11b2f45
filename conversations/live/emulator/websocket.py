"""One server-side WebSocket, driven over asyncio streams with websockets' Sans-I/O.

Owning the transport is what lets the emulator cut TCP without a close frame
(``abort``) and go silent while keeping the socket open (``stall``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.server import ServerProtocol

from .wire import truncate_reason

CLOSE_WAIT_S = 2.0


class WebSocketLink:
    """Messages in, binary frames out, over a protocol whose handshake is done."""

    def __init__(
        self,
        protocol: ServerProtocol,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.protocol = protocol
        self.reader = reader
        self.writer = writer
        self.messages: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.stalled_until = 0.0
        self.aborted = False
        self._fragments: list[bytes] = []
        self._fragment_opcode: Opcode | None = None
        self._send_lock = asyncio.Lock()
        self._pump = asyncio.create_task(self._read_loop())

    @property
    def open(self) -> bool:
        return self.protocol.state is State.OPEN and not self.aborted

    def stall(self, seconds: float) -> None:
        self.stalled_until = max(self.stalled_until, time.monotonic() + seconds)

    async def _wait_while_stalled(self) -> None:
        # A stall may be extended while waiting, so re-check after each sleep.
        while (delay := self.stalled_until - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(delay)

    async def _read_loop(self) -> None:
        try:
            while True:
                data = await self.reader.read(65536)
                await self._wait_while_stalled()
                if data:
                    self.protocol.receive_data(data)
                else:
                    self.protocol.receive_eof()
                for frame in self.protocol.events_received():
                    if isinstance(frame, Frame):
                        self._collect(frame.opcode, bytes(frame.data), frame.fin)
                await self._flush()
                if not data or self.protocol.state is State.CLOSED:
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            self.messages.put_nowait(None)

    def _collect(self, opcode: Opcode, data: bytes, fin: bool) -> None:
        if opcode in (Opcode.TEXT, Opcode.BINARY):
            self._fragment_opcode = opcode
            self._fragments = [bytes(data)]
        elif opcode is Opcode.CONT and self._fragment_opcode is not None:
            self._fragments.append(bytes(data))
        else:
            return
        if fin:
            payload = b"".join(self._fragments)
            text = self._fragment_opcode is Opcode.TEXT
            self._fragments, self._fragment_opcode = [], None
            self.messages.put_nowait(payload.decode() if text else payload)

    async def _flush(self) -> None:
        for chunk in self.protocol.data_to_send():
            if self.aborted or self.writer.is_closing():
                return
            if chunk:
                self.writer.write(chunk)
                with contextlib.suppress(ConnectionError, OSError):
                    await self.writer.drain()
            else:
                self.writer.close()

    async def recv(self) -> str | bytes | None:
        """The next whole message, or None once the socket is closed."""
        return await self.messages.get()

    async def send(self, payload: bytes) -> bool:
        """Send one binary frame; False if the socket is no longer open."""
        async with self._send_lock:
            await self._wait_while_stalled()
            if not self.open:
                return False
            self.protocol.send_binary(payload)
            await self._flush()
            return True

    async def close(self, code: int, reason: str = "") -> None:
        """Send a close frame, wait briefly for the reply, then end the transport."""
        async with self._send_lock:
            await self._wait_while_stalled()
            if self.open:
                self.protocol.send_close(code, truncate_reason(reason))
                await self._flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._pump), CLOSE_WAIT_S)
        self.abort()

    def abort(self) -> None:
        """Cut the TCP connection with no close frame."""
        self.aborted = True
        self.writer.transport.abort()

    async def wait_closed(self) -> None:
        await asyncio.shield(self._pump)

    async def shutdown(self) -> None:
        self.abort()
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
