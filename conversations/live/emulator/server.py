"""The emulator's server: one port for HTTP routes and Live WebSockets."""

from __future__ import annotations

import asyncio
import logging
import re
import signal
import ssl
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs

import h11
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.http11 import Request
from websockets.server import ServerProtocol

from . import audio, rest
from .conversation import EmulatedConnection, Endpoint, PresentedCredential
from .looplag import LoopLag
from .state import EmulatedSession, HandleRegistry, TokenLedger
from .websocket import WebSocketLink

# Handshake debug logs would carry keys and tokens (query and headers): keep the
# protocol logger above DEBUG whatever the root level is.
T = TypeVar("T")
PROTOCOL_LOGGER = logging.getLogger("conversations.live.emulator.protocol")
PROTOCOL_LOGGER.setLevel(logging.WARNING)
MAX_HEAD_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024
LIVE_PATH = re.compile(
    r"^/ws/google\.ai\.generativelanguage\.(v1|v1beta|v1alpha)\.GenerativeService\."
    r"(BidiGenerateContent|BidiGenerateContentConstrained)$"
)
FAULT_ACTIONS = {
    "drop": {"count"},
    "goaway": {"time_left_s", "count"},
    "close": {"code", "reason"},
    "fail_token_mints": {"count"},
    "expire_handles": set(),
    "stall": {"seconds"},
}


@dataclass
class EmulatorConfig:
    """Limits and credentials of one emulator; tests shorten the limits."""

    api_keys: frozenset[str] = frozenset({"emulator-key"})
    connection_lifetime_s: float = 600.0
    goaway_lead_s: float = 50.0
    handle_lifetime_s: float = 7200.0
    session_cap_s: float = 900.0
    reply_chunk_delay_s: float = 0.02
    max_frame_bytes: int = 16 * 1024 * 1024
    tls: bool = False


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Create a certificate for 127.0.0.1 / localhost with the openssl command."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class LiveEmulator:
    """A local Gemini Live service with fault injection and ground truth."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.handles = HandleRegistry(self.config.handle_lifetime_s)
        self.tokens = TokenLedger()
        self.sessions: list[EmulatedSession] = []
        # In the order they opened: a partial drop cuts the longest-open first.
        self.connections: dict[EmulatedConnection, None] = {}
        self.port = 0
        self.base_url = ""
        self.certificate_path: Path | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._links: set[WebSocketLink] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cert_dir: tempfile.TemporaryDirectory[str] | None = None
        self.loop_lag = LoopLag()

    # -- lifecycle -------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind and serve; ``port=0`` picks any free port."""
        self._loop = asyncio.get_running_loop()
        context = None
        if self.config.tls:
            self._cert_dir = tempfile.TemporaryDirectory(prefix="live-emulator-")
            cert, key = _self_signed_certificate(Path(self._cert_dir.name))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self.certificate_path = cert
        self._server = await asyncio.start_server(
            self._accept, host, port, ssl=context, limit=MAX_HEAD_BYTES
        )
        self.port = self._server.sockets[0].getsockname()[1]
        scheme = "https" if self.config.tls else "http"
        self.base_url = f"{scheme}://{host}:{self.port}"
        # Now, not at the first reply: computing the tone blocks the loop.
        audio.reply_tone("")
        self._spawn(self.loop_lag.run())

    async def serve_until_signalled(self, ready: Callable[[], None]) -> None:
        """Serve until SIGINT or SIGTERM, then stop; `ready` runs once they are heard.

        The handlers are set here, not left to Python's default: a shell that starts
        a command in the background leaves SIGINT ignored, and process managers stop
        with SIGTERM.
        """
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        try:
            ready()
            await stopping.wait()
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            await self.stop()

    async def stop(self) -> None:
        """Close the port, cut every socket and wait for every task to end."""
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.abort()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self._cert_dir is not None:
            self._cert_dir.cleanup()
            self._cert_dir = None

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        self._track(asyncio.get_running_loop().create_task(coroutine))

    # -- state -----------------------------------------------------------------
    def new_session(self, model: str) -> EmulatedSession:
        session = EmulatedSession(id=uuid.uuid4().hex[:12], model=model)
        self.sessions.append(session)
        return session

    def ground_truth(self) -> dict[str, Any]:
        return {
            "sessions": [session.ground_truth() for session in self.sessions],
            "tokens": self.tokens.counts(),
        }

    def snapshot(self) -> dict[str, Any]:
        """The ground truth, as ``GET /emulator/sessions`` returns it."""
        return self._on_loop(self.ground_truth)

    def inject_fault(self, fault: dict[str, Any]) -> dict[str, Any]:
        """Apply a fault like ``POST /emulator/faults``; ValueError if it is invalid."""
        return self._on_loop(lambda: self.apply_fault(fault))

    def _on_loop(self, action: Callable[[], T]) -> T:
        # Callers in another thread (start_in_thread) must not touch loop state.
        loop = self._loop
        if loop is None or not loop.is_running() or _running_loop() is loop:
            return action()

        async def run() -> T:
            return action()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout=10)

    # -- faults ----------------------------------------------------------------
    def apply_fault(self, fault: Any) -> dict[str, Any]:
        """Validate and apply one fault; must run on the emulator's loop."""
        if not isinstance(fault, dict) or not isinstance(fault.get("action"), str):
            raise ValueError('A fault is a JSON object with an "action" string.')
        action = fault["action"]
        if action not in FAULT_ACTIONS:
            raise ValueError(
                f"Unknown action {action!r}; known: {', '.join(sorted(FAULT_ACTIONS))}."
            )
        extra = set(fault) - FAULT_ACTIONS[action] - {"action"}
        if extra:
            raise ValueError(
                f"Unknown field(s) for {action}: {', '.join(sorted(extra))}."
            )
        live = [c for c in self.connections if c.link.open and not c.closing]
        affected = len(live)
        if action == "drop":
            if "count" in fault:
                live = live[: _count(fault)]
                affected = len(live)
            for connection in live:
                connection.link.abort()
        elif action == "goaway":
            time_left = _number(fault, "time_left_s", default=10.0, minimum=0.0)
            live = [c for c in live if c.session is not None and not c.told_to_go]
            if "count" in fault:
                live = live[: _count(fault)]
            affected = len(live)
            for connection in live:
                self._spawn(connection.go_away(time_left))
        elif action == "close":
            code = fault.get("code", 1011)
            if (
                not isinstance(code, int)
                or isinstance(code, bool)
                or not _closable(code)
            ):
                raise ValueError(
                    "code must be a close code: 1000-1003, 1007-1014, 3000-4999."
                )
            reason = fault.get("reason", "")
            if not isinstance(reason, str):
                raise ValueError("reason must be a string.")
            for connection in live:
                self._spawn(connection.close(code, reason))
        elif action == "fail_token_mints":
            affected = self.tokens.failing_mints = _count(fault)
        elif action == "expire_handles":
            affected = self.handles.expire_all()
        elif action == "stall":
            seconds = _number(fault, "seconds", default=5.0, minimum=0.0)
            for connection in live:
                connection.link.stall(seconds)
        return {"ok": True, "action": action, "affected": affected}

    # -- connections -----------------------------------------------------------
    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._track(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            parser = h11.Connection(
                h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES
            )
            parser.receive_data(head)
            event = parser.next_event()
            if not isinstance(event, h11.Request):
                return
            headers = {
                name.decode().lower(): value.decode("latin-1")
                for name, value in event.headers
            }
            if headers.get("upgrade", "").lower() == "websocket":
                await self._serve_websocket(head, reader, writer)
            else:
                await self._serve_http(parser, event, headers, reader, writer)
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            h11.ProtocolError,
            ConnectionError,
            OSError,
            ValueError,
        ):
            pass
        finally:
            writer.transport.abort()

    async def _serve_http(
        self,
        parser: h11.Connection,
        event: h11.Request,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        body = bytearray()
        response: rest.HttpResponse | None = None
        while True:
            part = parser.next_event()
            if part is h11.NEED_DATA:
                parser.receive_data(await reader.read(65536))
            elif isinstance(part, h11.Data):
                body += part.data
                if len(body) > MAX_BODY_BYTES:
                    response = rest.error(413, "Request body too large.")
                    break
            else:
                break
        if response is None:
            target = re.sub("/+", "/", event.target.decode("latin-1"))
            request = rest.HttpRequest.build(
                event.method.decode(), target, headers, bytes(body)
            )
            response = rest.route(self, request)
        payload = response.encode()
        out = parser.send(
            h11.Response(
                status_code=response.status,
                headers=[
                    ("content-type", "application/json"),
                    ("content-length", str(len(payload))),
                    ("connection", "close"),
                ],
            )
        )
        out = (out or b"") + (parser.send(h11.Data(data=payload)) or b"")
        out += parser.send(h11.EndOfMessage()) or b""
        writer.write(out)
        await writer.drain()

    async def _serve_websocket(
        self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        protocol = ServerProtocol(
            extensions=[ServerPerMessageDeflateFactory()],
            max_size=self.config.max_frame_bytes,
            logger=PROTOCOL_LOGGER,
        )
        protocol.receive_data(head)
        requests = [e for e in protocol.events_received() if isinstance(e, Request)]
        if not requests:
            writer.writelines(protocol.data_to_send())
            await writer.drain()
            return
        request = requests[0]
        path, _, query = request.path.partition("?")
        match = LIVE_PATH.match(re.sub("/+", "/", path))
        constrained = match is not None and match.group(2).endswith("Constrained")
        if match is None or (constrained and match.group(1) != "v1alpha"):
            response = protocol.reject(404, "Not Found\n")
        else:
            response = protocol.accept(request)
        protocol.send_response(response)
        writer.writelines(protocol.data_to_send())
        await writer.drain()
        if response.status_code != 101:
            return
        assert match is not None
        link = WebSocketLink(protocol, reader, writer)
        self._links.add(link)
        connection = EmulatedConnection(
            self,
            link,
            Endpoint(api_version=match.group(1), constrained=constrained),
            _credential(parse_qs(query), request.headers),
        )
        self.connections[connection] = None
        try:
            await connection.run()
        finally:
            self.connections.pop(connection, None)
            self._links.discard(link)
            await link.shutdown()


def _credential(
    query: dict[str, list[str]], headers: Any
) -> PresentedCredential | None:
    authorization = headers.get("Authorization", "")
    if authorization.startswith("Token "):
        return PresentedCredential(
            authorization.removeprefix("Token ").strip(), "token"
        )
    if query.get("access_token"):
        return PresentedCredential(query["access_token"][0], "token")
    if query.get("key"):
        return PresentedCredential(query["key"][0], "key")
    if headers.get("x-goog-api-key"):
        return PresentedCredential(headers["x-goog-api-key"], "key")
    return None


def _count(fault: dict[str, Any]) -> int:
    count = fault.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError("count must be a positive integer.")
    return count


def _number(fault: dict[str, Any], name: str, default: float, minimum: float) -> float:
    value = fault.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ValueError(f"{name} must be a number >= {minimum:g}.")
    return float(value)


def _closable(code: int) -> bool:
    return (
        code in (1000, 1001, 1002, 1003) or 1007 <= code <= 1014 or 3000 <= code <= 4999
    )


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


@dataclass
class EmulatorThread:
    """An emulator on its own event loop in a daemon thread."""

    emulator: LiveEmulator
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    _stopped: bool = field(default=False, init=False)

    @property
    def port(self) -> int:
        return self.emulator.port

    @property
    def base_url(self) -> str:
        return self.emulator.base_url

    def stop(self) -> None:
        """Stop the emulator and its loop, and join the thread."""
        if self._stopped:
            return
        self._stopped = True
        future = asyncio.run_coroutine_threadsafe(self.emulator.stop(), self.loop)
        future.result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def start_in_thread(
    config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> EmulatorThread:
    """Start an emulator on its own loop in a daemon thread; return once it listens."""
    emulator = LiveEmulator(config)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(emulator.start(host, port))
        except BaseException as error:  # reported to the caller below
            failure.append(error)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    thread = threading.Thread(target=run, name="live-emulator", daemon=True)
    thread.start()
    ready.wait(timeout=30)
    if failure:
        raise failure[0]
    return EmulatorThread(emulator, loop, thread)
