"""One upstream Live connection: open it with a fresh credential, send, receive, close.

Keepalive is tuned for Live, whose pongs can take tens of seconds: the `websockets`
ping timeout is off, and a liveness watchdog instead counts any frame or pong as a
sign of life. Only when nothing at all arrived for `liveness_timeout_s` (pings going
out every `ping_interval_s`) is the server called stalled and the socket cut, so a
healthy slow server is never killed and a stalled one is found in bounded time.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import websockets
import websockets.frames
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from . import protocol
from .config import LiveConfig
from .protocol import MalformedFrame, ServerEvent, SetupComplete
from .tokens import TokenError, obtain_credential

logger = logging.getLogger(__name__)

# Close code and reason used for failures detected on this side (no close frame).
NO_CLOSE_FRAME = 1006


class MaskBytes:
    """Random bytes for WebSocket masks, read from the system 4 KiB at a time.

    websockets draws every frame's 4-byte mask with ``secrets.token_bytes``: a
    system call per frame sent upstream, 20 ms of audio each, which was a quarter
    of a worker's CPU with 50 people talking. The masks stay as unpredictable
    (``os.urandom``); only the system calls are fewer.
    """

    def __init__(self, batch: int = 4096) -> None:
        self._batch = batch
        self._buffer = b""
        self._offset = 0

    def token_bytes(self, count: int) -> bytes:
        end = self._offset + count
        if end > len(self._buffer):
            self._buffer = os.urandom(max(self._batch, count))
            self._offset, end = 0, count
        taken = self._buffer[self._offset : end]
        self._offset = end
        return taken


# websockets reads `secrets.token_bytes` from its frames module only for masks.
websockets.frames.secrets = MaskBytes()  # type: ignore[assignment]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The trusted CA certificates, loaded once per process.

    Loading them takes tens of milliseconds, on the event loop: once per session
    it was paid by every upstream a worker opened (SSL_CERT_FILE is read once).
    """
    return httpx.create_ssl_context()


def http_client() -> httpx.AsyncClient:
    """An HTTP client (for token mints) on the CA certificates loaded once."""
    return httpx.AsyncClient(verify=tls_context())


class LazyHttpClient:
    """The caller's HTTP client, or one made on first use.

    `aclose()` closes only a client made here: the caller's is the caller's to close.
    """

    def __init__(self, given: httpx.AsyncClient | None = None) -> None:
        self._client = given
        self._owned = given is None

    def get(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = http_client()
        return self._client

    async def aclose(self) -> None:
        if self._owned and self._client is not None:
            await self._client.aclose()
            self._client = None


class ConnectFailed(Exception):
    """A connection attempt did not reach `setupComplete`.

    `code`/`reason` carry the server's close when there was one; `retryable` is set for
    failures that say nothing about the request itself (network, 5xx, timeouts).
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None,
        reason: str,
        retryable: bool,
        stage: str = "setup",
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.retryable = retryable
        self.stage = stage  # `token`, `handshake` or `setup`


class LiveConnection:
    """An open, set-up connection: iterate `events()`, then read `close_*`."""

    def __init__(self, websocket: ClientConnection, config: LiveConfig) -> None:
        self._ws = websocket
        self._config = config
        self._last_sign_of_life = time.monotonic()
        self.close_code: int | None = None
        self.close_reason: str = ""
        self.stalled = False
        self.malformed: str | None = None

    @property
    def is_open(self) -> bool:
        return self.close_code is None and self._ws.state is websockets.State.OPEN

    async def send(self, message: dict[str, Any]) -> None:
        """Send one client message; raises `ConnectionClosed` if the socket is gone."""
        await self._ws.send(protocol.encode(message))

    async def events(self) -> AsyncIterator[ServerEvent]:
        """Yield server events until the connection ends, for whatever reason.

        A malformed frame ends the connection (code 1007 from this side): what follows
        it cannot be trusted to line up with what came before.
        """
        watchdog = asyncio.create_task(self._watch())
        try:
            while True:
                try:
                    raw = await self._ws.recv()
                except ConnectionClosed as exc:
                    self._record_close(exc)
                    return
                self._last_sign_of_life = time.monotonic()
                for event in protocol.parse_server_frame(raw):
                    if isinstance(event, MalformedFrame):
                        self.malformed = event.reason
                        logger.warning("malformed frame from Live: %s", event.reason)
                        await self.close(1007, "malformed frame from server")
                        return
                    yield event
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the socket (waiting at most `close_timeout_s` for the server)."""
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason
        await self._ws.close(code, reason)

    async def wait_closed(self) -> None:
        """Wait until the TCP connection is gone; cut it if that takes too long."""
        try:
            async with asyncio.timeout(self._config.close_timeout_s + 1):
                await self._ws.wait_closed()
        except TimeoutError:
            self.abort()

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake (the server is deaf)."""
        transport = self._ws.transport
        if transport is not None:
            transport.abort()

    def _record_close(self, exc: ConnectionClosed) -> None:
        if self.close_code is not None:
            return
        frame = exc.rcvd if exc.rcvd is not None else None
        if frame is not None:
            self.close_code = frame.code
            self.close_reason = frame.reason
        elif exc.sent is not None and exc.sent.code != 1000:
            # This side failed the connection, e.g. 1009 for an oversize frame.
            self.close_code = exc.sent.code
            self.close_reason = exc.sent.reason
        else:
            self.close_code = NO_CLOSE_FRAME
            self.close_reason = "connection lost without a close frame"

    async def _watch(self) -> None:
        interval = min(
            self._config.ping_interval_s, self._config.liveness_timeout_s / 3
        )
        while True:
            await asyncio.sleep(interval)
            silent_for = time.monotonic() - self._last_sign_of_life
            if silent_for >= self._config.liveness_timeout_s:
                logger.warning(
                    "Live sent nothing for %.1f s; cutting the socket", silent_for
                )
                self.stalled = True
                self.close_code = NO_CLOSE_FRAME
                self.close_reason = (
                    f"no data from server for {self._config.liveness_timeout_s:g} s"
                )
                self.abort()
                return
            # A server that stopped reading can block the write; never let that stall
            # the watchdog itself.
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                async with asyncio.timeout(interval):
                    pong = await self._ws.ping()
                # The pong waiter is a future; a late pong still counts as life.
                asyncio.ensure_future(pong).add_done_callback(self._on_pong)

    def _on_pong(self, future: asyncio.Future[float]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._last_sign_of_life = time.monotonic()


async def open_connection(
    config: LiveConfig, http: httpx.AsyncClient, setup: dict[str, Any]
) -> LiveConnection:
    """Open a connection with a fresh credential, send `setup`, await `setupComplete`.

    Raises `ConnectFailed`. Frames other than setupComplete before it are not expected
    and fail the attempt.
    """
    try:
        credential = await obtain_credential(http, config, setup["setup"])
    except TokenError as exc:
        raise ConnectFailed(
            str(exc),
            code=None,
            reason=str(exc),
            retryable=exc.retryable,
            stage="token",
        ) from None
    logger.info("opening Live connection (credential %s)", credential.fingerprint)
    try:
        websocket = await websockets.connect(
            credential.url,
            additional_headers=credential.headers,
            open_timeout=config.open_timeout_s,
            close_timeout=config.close_timeout_s,
            # Live's pongs can be slow; liveness is judged by LiveConnection instead.
            ping_interval=None,
            ping_timeout=None,
            max_size=config.max_frame_bytes,
            compression=None,
            proxy=None,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        raise ConnectFailed(
            f"handshake refused: HTTP {status}",
            code=None,
            reason=f"HTTP {status}",
            retryable=status >= 500 or status == 429,
            stage="handshake",
        ) from None
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        raise ConnectFailed(
            f"cannot reach Live: {type(exc).__name__}",
            code=None,
            reason=type(exc).__name__,
            retryable=True,
            stage="handshake",
        ) from None

    connection = LiveConnection(websocket, config)
    try:
        await connection.send(setup)
        async with asyncio.timeout(config.open_timeout_s):
            raw = await websocket.recv()
    except ConnectionClosed as exc:
        connection._record_close(exc)
        raise ConnectFailed(
            f"closed during setup: {connection.close_code} {connection.close_reason}",
            code=connection.close_code,
            reason=connection.close_reason,
            retryable=False,
        ) from None
    except TimeoutError:
        connection.abort()
        raise ConnectFailed(
            "no setupComplete in time",
            code=None,
            reason="setup timed out",
            retryable=True,
        ) from None
    except BaseException:
        # Cancelled (the session closed meanwhile): an open socket would keep
        # the Live session busy, and the next resume would be refused.
        connection.abort()
        raise
    events = protocol.parse_server_frame(raw)
    if not any(isinstance(event, SetupComplete) for event in events):
        await connection.close(1002, "expected setupComplete")
        raise ConnectFailed(
            "first server frame was not setupComplete",
            code=None,
            reason="expected setupComplete",
            retryable=True,
        )
    return connection
