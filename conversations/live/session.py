"""One logical Live session carried over many upstream connections.

`LiveSession` keeps a conversation with Live going across drops, `goAway` rotations,
refused handles and token failures, following the resumption rules of the design:

* every connection attempt gets a fresh credential (see `tokens`);
* only the newest handle from a `sessionResumptionUpdate` with `resumable: true` is
  kept, and one older than `handle_lifetime_s` is not tried;
* on `goAway` the session rotates at the next turn boundary, or at the deadline
  (`timeLeft - goaway_margin_s`) if that comes first, closing the old socket before
  resuming;
* reconnects back off with full jitter and a cap, the first retry being immediate;
  after `max_attempts` attempts in a row that failed or died before doing anything
  the session gives up (status `disconnected`, reason `gave_up`) and `resume()`
  starts over; a connection that made progress (a turn answered or a new handle)
  resets the count, so a flapping network never makes the user resume by hand;
* a close the caller asked for (`close()`) never reconnects;
* close codes go through one table (`closecodes`), and the close reason is passed on;
* user input is kept in a `Ledger` (see `ledger`): typed turns not answered are
  sent again, once, in order; the audio of an utterance cut by a drop is replayed
  unless Live answered it; answered turns the newest handle misses, or a seed no
  handle covers yet, make the next connection restore from the transcript;
* when the handle is refused or too old, a new Live session is started and seeded with
  the history `seed_provider` returns (never a handle and history together), then the
  unanswered turns are sent as live turns.

Typed turns are sent one at a time, after every earlier turn (typed or spoken) was
answered, so that each `turnComplete` belongs to a known turn.

Listener (duck-typed; `BaseLiveListener` has no-op defaults). Every method is async:

* `on_status(status, *, run_id=None, attempt=None, retry_in_ms=None, reason=None)`:
  `connecting`, `connected`, `reconnecting` (with `attempt` and `retry_in_ms`),
  `disconnecting`, `disconnected` (with `reason`: `user`, `gave_up`, or `error`).
  `run_id` is the newest run this session opened (None before its first), so a
  listener can tell this session's news from an older one's.
* `on_connection(run_id, began)`: a connection is set up; `began` is `new`,
  `resumed_with_handle` or `restored_from_transcript`. The first gets `first_run_id`,
  each later one the next number.
* `on_connection_closed(run_id, *, reason, code, close_reason)`: that connection ended;
  `reason` is `goaway`, `network`, `user`, `handle_expired` or `error`.
* `on_event(event)`: a server event from `protocol` (model audio/text, transcriptions,
  `TurnComplete`, `GenerationComplete`, `Interrupted`, `ToolCall`, `UsageMetadata` ...)
  or a `UserTurnSent` when a user turn reaches Live (`replayed` when it is sent again
  after a resume; a reply already shown for it is then superseded).
* `on_handle(handle, issued_at)`: a new resumable handle, to persist server-side.
* `on_context_restored(source)`: after a reconnect, the context came back from the
  `handle` or from the `transcript`.
* `on_warning(kind, detail)`: `session_cap` (the uncompressed session cap is near),
  `audio_dropped` (more audio arrived while the upstream was away than is kept for
  replay), `tool_response_dropped`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import httpx
from websockets.exceptions import ConnectionClosed

from . import protocol
from .backoff import Backoff
from .client import ConnectFailed, LiveConnection, open_connection
from .closecodes import CloseAction, classify_close
from .config import LiveConfig
from .ledger import Began, Handle, Ledger
from .protocol import (
    FunctionResponse,
    GoAway,
    InputTranscription,
    ModelAudio,
    ModelText,
    OutputTranscription,
    ServerEvent,
    SessionResumptionUpdate,
    SetupComplete,
    TurnComplete,
)
from .tokens import fingerprint

logger = logging.getLogger(__name__)

TurnId = str | int
MODEL_OUTPUT = (ModelAudio, ModelText, OutputTranscription)
SeedProvider = Callable[[list[TurnId]], Awaitable[Sequence[tuple[str, str]]]]
T = TypeVar("T")


@dataclass(frozen=True)
class UserTurnSent:
    """A user turn reached Live (`replayed` when it is sent again after a resume)."""

    turn_id: TurnId
    text: str
    replayed: bool


class LiveListener(Protocol):
    async def on_status(
        self,
        status: str,
        *,
        run_id: int | None = None,
        attempt: int | None = None,
        retry_in_ms: int | None = None,
        reason: str | None = None,
    ) -> None: ...

    async def on_connection(self, run_id: int, began: Began) -> None: ...

    async def on_connection_closed(
        self, run_id: int, *, reason: str, code: int | None, close_reason: str
    ) -> None: ...

    async def on_event(self, event: ServerEvent | UserTurnSent) -> None: ...

    async def on_handle(self, handle: str, issued_at: datetime) -> None: ...

    async def on_context_restored(self, source: str) -> None: ...

    async def on_warning(self, kind: str, detail: str) -> None: ...


class BaseLiveListener:
    """A listener that ignores everything; subclass it and override what you need."""

    async def on_status(
        self,
        status: str,
        *,
        run_id: int | None = None,
        attempt: int | None = None,
        retry_in_ms: int | None = None,
        reason: str | None = None,
    ) -> None:
        pass

    async def on_connection(self, run_id: int, began: Began) -> None:
        pass

    async def on_connection_closed(
        self, run_id: int, *, reason: str, code: int | None, close_reason: str
    ) -> None:
        pass

    async def on_event(self, event: ServerEvent | UserTurnSent) -> None:
        pass

    async def on_handle(self, handle: str, issued_at: datetime) -> None:
        pass

    async def on_context_restored(self, source: str) -> None:
        pass

    async def on_warning(self, kind: str, detail: str) -> None:
        pass


class SessionClosed(Exception):
    """The caller closed the session; it takes no more input."""


@dataclass
class _Attempt:
    connection: LiveConnection
    began: Began
    seed: Sequence[tuple[str, str]]


@dataclass
class _Ended:
    """How one connection ended and what to do next."""

    reason: str
    action: CloseAction | None  # None: the caller closed it
    code: int | None
    close_reason: str


class LiveSession:
    """A Live session that survives drops, rotations and refused handles."""

    def __init__(
        self,
        config: LiveConfig,
        listener: LiveListener,
        *,
        resume_handle: str | None = None,
        handle_issued_at: datetime | None = None,
        first_run_id: int = 0,
        seed_provider: SeedProvider | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        if handle_issued_at is not None and handle_issued_at.tzinfo is None:
            raise ValueError("handle_issued_at must be timezone-aware")
        self.config = config
        self._listener = listener
        self._ledger = Ledger()
        if resume_handle:
            self._ledger.handle = Handle(resume_handle, handle_issued_at)
        self._next_run_id = first_run_id
        self._seed_provider = seed_provider
        self._http = http_client
        self._owns_http = http_client is None
        self._backoff = Backoff(config.base_delay_s, config.max_delay_s)

        self._failures = 0
        self._connection: LiveConnection | None = None
        self._run_id: int | None = None
        self._ready = False
        self._send_lock = asyncio.Lock()
        self._end_reason: str | None = None
        self._goaway_deadline: float | None = None
        self._rotation_timer: asyncio.Task[None] | None = None
        self._cap_timer: asyncio.Task[None] | None = None
        self._audio_gap_reported = False
        self._opened_run_id: int | None = None
        self._status: str | None = None
        self._closed_by_user = False
        self._close_reason = "user"
        self._close_requested = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None

    # --- public API ----------------------------------------------------------------

    @property
    def status(self) -> str | None:
        """The last status reported to the listener."""
        return self._status

    @property
    def pending_turn_ids(self) -> list[TurnId]:
        """Ids of the typed turns the newest handle does not cover yet, in order."""
        return list(self._ledger.uncovered_turn_ids)

    async def start(self) -> None:
        """Start connecting in the background; progress is reported to the listener."""
        if self._closed_by_user:
            raise SessionClosed("the session was closed")
        if self._supervisor is not None:
            raise RuntimeError("the session is already started")
        self._supervisor = asyncio.create_task(self._supervise())

    async def resume(self) -> None:
        """Start again after the session gave up or hit an error."""
        if self._closed_by_user:
            raise SessionClosed("the session was closed")
        if self._supervisor is not None and not self._supervisor.done():
            return
        self._supervisor = asyncio.create_task(self._supervise())

    async def send_text(self, text: str, *, turn_id: TurnId | None = None) -> TurnId:
        """Queue a user turn and send it as soon as Live can take it; return its id.

        `turn_id` is the caller's id for the turn (a transcript seq, say); it comes
        back in `UserTurnSent` and in the ids passed to `seed_provider`.
        """
        if self._closed_by_user:
            raise SessionClosed("the session was closed")
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a user turn needs non-empty text")
        if turn_id is None:
            turn_id = uuid.uuid4().hex
        self._ledger.queue_text(turn_id, text)
        await self._pump()
        return turn_id

    async def send_audio(self, pcm16_16khz: bytes) -> bool:
        """Send PCM16 mono 16 kHz audio; while the upstream is away it is kept.

        Returns whether the chunk was sent now. Kept audio (the utterance Live has
        not answered, at most the ledger's `max_replay_s`) goes to the next
        connection.
        """
        if self._closed_by_user:
            raise SessionClosed("the session was closed")
        if not isinstance(pcm16_16khz, bytes | bytearray) or len(pcm16_16khz) % 2:
            raise ValueError("audio must be PCM16 bytes (an even number of bytes)")
        if not pcm16_16khz:
            return False
        pcm = bytes(pcm16_16khz)
        kept_all = self._ledger.audio(pcm)
        if await self._send_if_ready(protocol.build_audio(pcm)):
            return True
        if not kept_all and not self._audio_gap_reported:
            self._audio_gap_reported = True
            await self._notify(
                "on_warning",
                "audio_dropped",
                "Live was away too long: the start of what you said was dropped",
            )
        return False

    async def end_audio(self) -> bool:
        """Tell Live the microphone stopped (`audioStreamEnd`); return whether sent."""
        if self._closed_by_user:
            raise SessionClosed("the session was closed")
        self._ledger.audio_ended()
        return await self._send_if_ready(protocol.build_audio_stream_end())

    async def send_tool_response(self, responses: Sequence[FunctionResponse]) -> bool:
        """Answer a `ToolCall`; returns whether it was sent.

        A response cannot outlive its connection: a resumed session never saw the call,
        so while the upstream is away the response is dropped with a warning.
        """
        if self._closed_by_user:
            raise SessionClosed("the session was closed")
        if not responses:
            raise ValueError("no function responses given")
        if await self._send_if_ready(protocol.build_tool_response(responses)):
            return True
        await self._notify(
            "on_warning",
            "tool_response_dropped",
            "tool response dropped: its connection is gone",
        )
        return False

    async def close(self, *, reason: str = "user") -> None:
        """End the session for good (the caller asked for it): no reconnect follows.

        `reason` is reported as the end reason of the open connection and of the
        session (`user`, `device_switch`, `browser_left` ...).
        """
        if self._closed_by_user:
            return
        self._close_reason = reason
        self._closed_by_user = True
        self._close_requested.set()
        await self._set_status("disconnecting")
        connection = self._connection
        if connection is not None:
            self._end_reason = "user"
            self._ready = False
            with contextlib.suppress(ConnectionClosed, OSError):
                await connection.close(1000, "closed by the client")
        if self._supervisor is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        self._cancel_timers(cap=True)
        if self._owns_http and self._http is not None:
            await self._http.aclose()
            self._http = None
        await self._set_status("disconnected", reason=reason)

    # --- connection loop -----------------------------------------------------------

    async def _supervise(self) -> None:
        self._failures = 0
        quiet = False  # a planned rotation shows no status change unless it fails
        if self._status != "connected":
            await self._set_status("connecting")
        while not self._closed_by_user:
            if self._failures:
                if self._failures > self.config.max_attempts:
                    await self._give_up("gave_up")
                    return
                delay = self._backoff.delay(self._failures)
                await self._set_status(
                    "reconnecting",
                    attempt=self._failures,
                    retry_in_ms=round(delay * 1000),
                )
                if await self._closed_within(delay):
                    return
            attempt = await self._until_closed(self._connect_once())
            if attempt is None:
                return
            if isinstance(attempt, _Ended):
                if attempt.action is CloseAction.FATAL:
                    await self._give_up("error", attempt.close_reason)
                    return
                if attempt.action is CloseAction.RESTORE:
                    self._forget_handle("refused")
                self._failures += 1
                quiet = False
                continue
            ended = await self._serve(attempt, quiet=quiet)
            if ended.action is None:
                return
            if ended.action is CloseAction.FATAL:
                await self._give_up("error", ended.close_reason)
                return
            if ended.action is CloseAction.RESTORE:
                self._forget_handle("refused")
            quiet = ended.action is CloseAction.ROTATE and ended.reason == "goaway"
            if not quiet:
                # A connection that made progress reset the count to 0 meanwhile.
                self._failures += 1

    async def _connect_once(self) -> _Attempt | _Ended:
        handle = self._usable_handle()
        seed: Sequence[tuple[str, str]] = ()
        began: Began = "resumed_with_handle"
        if handle is None:
            began = "new"
            if self._seed_provider is not None:
                try:
                    unanswered = list(self._ledger.unanswered_turn_ids)
                    seed = list(await self._seed_provider(unanswered))
                    protocol.build_history(seed)  # validates the roles
                except Exception as exc:
                    logger.exception("seed provider failed")
                    return _Ended("error", CloseAction.RETRY, None, str(exc)[:120])
                if seed:
                    began = "restored_from_transcript"
        compression = self.config.compression
        setup = protocol.build_setup(
            model=self.config.model,
            response_modality=self.config.response_modality,
            system_instruction=self.config.system_instruction,
            voice=self.config.voice,
            input_transcription=self.config.input_transcription,
            output_transcription=self.config.output_transcription,
            resumption_handle=handle,
            compression_trigger_tokens=compression.trigger_tokens
            if compression
            else None,
            compression_target_tokens=compression.target_tokens
            if compression
            else None,
        )
        if self._http is None:
            self._http = httpx.AsyncClient()
        try:
            connection = await open_connection(self.config, self._http, setup)
        except ConnectFailed as exc:
            logger.warning("Live connection attempt failed: %s", exc)
            if exc.code is not None:
                action = classify_close(
                    exc.code, exc.reason, resumed=handle is not None
                )
            else:
                action = CloseAction.RETRY if exc.retryable else CloseAction.FATAL
            return _Ended("error", action, exc.code, exc.reason)
        return _Attempt(connection, began, seed)

    async def _serve(self, attempt: _Attempt, *, quiet: bool) -> _Ended:
        connection = attempt.connection
        run_id = self._next_run_id
        self._next_run_id += 1
        self._run_id = run_id
        self._connection = connection
        self._end_reason = None
        self._goaway_deadline = None
        self._audio_gap_reported = False
        if self._closed_by_user:
            # close() ran while the attempt was finishing.
            await connection.close(1000, "closed by the client")
            self._connection = None
            return _Ended(self._close_reason, None, 1000, "closed by the client")

        self._opened_run_id = run_id
        self._ledger.connection_opened(attempt.began, seeded=bool(attempt.seed))
        # The caller records the run before it tells anyone the session is up.
        await self._notify("on_connection", run_id, attempt.began)
        await self._set_status("connected")
        if attempt.began == "resumed_with_handle":
            if not quiet:
                await self._notify("on_context_restored", "handle")
        else:
            self._start_cap_timer()
            if attempt.began == "restored_from_transcript":
                await self._notify("on_context_restored", "transcript")
        async with self._send_lock:
            with contextlib.suppress(ConnectionClosed):
                if attempt.seed:
                    await connection.send(protocol.build_history(attempt.seed))
                await self._replay_audio(connection)
            self._ready = True
        await self._pump()

        async for event in connection.events():
            await self._on_server_event(connection, event)

        self._ready = False
        self._connection = None
        self._ledger.connection_lost()
        self._cancel_timers(cap=False)
        await connection.wait_closed()
        ended = self._how_it_ended(connection, attempt.began)
        await self._notify(
            "on_connection_closed",
            run_id,
            reason=ended.reason,
            code=connection.close_code,
            close_reason=connection.close_reason,
        )
        logger.info(
            "Live run %s ended: %s (%s %s)",
            run_id,
            ended.reason,
            connection.close_code,
            connection.close_reason,
        )
        return ended

    def _how_it_ended(self, connection: LiveConnection, began: Began) -> _Ended:
        code, reason = connection.close_code, connection.close_reason
        if self._end_reason == "user":
            return _Ended(self._close_reason, None, code, reason)
        if self._end_reason == "goaway":
            return _Ended("goaway", CloseAction.ROTATE, code, reason)
        if connection.stalled:
            return _Ended("network", CloseAction.RETRY, code, reason)
        if connection.malformed is not None:
            return _Ended("error", CloseAction.RETRY, code, reason)
        action = classify_close(code, reason, resumed=began == "resumed_with_handle")
        if action is CloseAction.RESTORE:
            return _Ended("handle_expired", action, code, reason)
        if action is CloseAction.FATAL:
            return _Ended("error", action, code, reason)
        if self._goaway_deadline is not None:
            return _Ended("goaway", CloseAction.RETRY, code, reason)
        return _Ended("network", CloseAction.RETRY, code, reason)

    async def _on_server_event(
        self, connection: LiveConnection, event: ServerEvent
    ) -> None:
        if isinstance(event, SessionResumptionUpdate):
            if event.resumable and event.new_handle:
                await self._take_handle(event.new_handle)
                await self._rotate_if_idle(connection)
            return
        if isinstance(event, InputTranscription):
            self._ledger.speech_heard()
        elif isinstance(event, MODEL_OUTPUT):
            self._ledger.model_output()
        if isinstance(event, SetupComplete):
            return
        if isinstance(event, GoAway):
            self._schedule_rotation(connection, event.time_left_s)
            await self._notify("on_event", event)
            await self._rotate_if_idle(connection)
            return
        if isinstance(event, TurnComplete):
            if self._ledger.turn_complete() is not None:
                self._failures = 0
            await self._notify("on_event", event)
            await self._pump()
            await self._rotate_if_idle(connection)
            return
        await self._notify("on_event", event)

    async def _take_handle(self, handle: str) -> None:
        issued_at = datetime.now(UTC)
        # Live is working: whatever drops this connection now is bad luck, not
        # a failing service, so it does not count against the reconnect bound.
        self._failures = 0
        if not self._ledger.new_handle(handle, issued_at):
            # Issued before the seed was part of the session: it covers nothing.
            logger.debug("handle %s does not cover the seed yet", fingerprint(handle))
            return
        logger.debug("new resumption handle %s", fingerprint(handle))
        await self._notify("on_handle", handle, issued_at)

    def _usable_handle(self) -> str | None:
        handle = self._ledger.handle
        if handle is not None and handle.issued_at is not None:
            age = (datetime.now(UTC) - handle.issued_at).total_seconds()
            if age >= self.config.handle_lifetime_s:
                self._forget_handle("too old")
        return self._ledger.handle.value if self._ledger.handle else None

    def _forget_handle(self, why: str) -> None:
        if self._ledger.handle is not None:
            logger.info(
                "dropping resumption handle %s (%s)",
                fingerprint(self._ledger.handle.value),
                why,
            )
        self._ledger.forget_handle()

    # --- goAway rotation -----------------------------------------------------------

    def _schedule_rotation(
        self, connection: LiveConnection, time_left_s: float | None
    ) -> None:
        if self._goaway_deadline is not None:
            return
        lead = max(0.0, (time_left_s or 0.0) - self.config.goaway_margin_s)
        self._goaway_deadline = time.monotonic() + lead
        logger.info("goAway: rotating within %.1f s", lead)
        self._rotation_timer = asyncio.create_task(
            self._rotate_at_deadline(connection, lead)
        )

    async def _rotate_at_deadline(
        self, connection: LiveConnection, delay: float
    ) -> None:
        await asyncio.sleep(delay)
        await self._rotate(connection)

    async def _rotate_if_idle(self, connection: LiveConnection) -> None:
        # A turn boundary: no reply streaming and nothing the newest handle misses.
        if self._goaway_deadline is None or not self._ledger.idle:
            return
        await self._rotate(connection)

    async def _rotate(self, connection: LiveConnection) -> None:
        if self._connection is not connection or self._end_reason is not None:
            return
        self._end_reason = "goaway"
        self._ready = False
        with contextlib.suppress(ConnectionClosed, OSError):
            await connection.close(1000, "rotating after goAway")

    # --- sending -------------------------------------------------------------------

    async def _pump(self) -> None:
        """Send the next queued user turn if Live is ready and no reply is pending."""
        async with self._send_lock:
            connection = self._connection
            if (
                not self._ready
                or connection is None
                or self._goaway_deadline is not None
            ):
                return
            turn = self._ledger.next_text()
            if turn is None:
                return
            self._ledger.text_sent(turn)
            try:
                await connection.send(protocol.build_user_turn(turn.text))
            except ConnectionClosed:
                return
        await self._notify(
            "on_event", UserTurnSent(turn.turn_id, turn.text, replayed=turn.sends > 1)
        )

    async def _replay_audio(self, connection: LiveConnection) -> None:
        """Send the unanswered utterance again (the caller holds the send lock)."""
        chunks, ended = self._ledger.audio_to_replay()
        for pcm in chunks:
            await connection.send(protocol.build_audio(pcm))
        if chunks and ended:
            await connection.send(protocol.build_audio_stream_end())
        if chunks:
            logger.info("replayed %d audio chunks Live had not answered", len(chunks))

    async def _send_if_ready(self, message: dict[str, Any]) -> bool:
        connection = self._connection
        if not self._ready or connection is None:
            return False
        try:
            await connection.send(message)
        except ConnectionClosed:
            return False
        return True

    # --- session cap ---------------------------------------------------------------

    def _start_cap_timer(self) -> None:
        self._cancel_timers(cap=True)
        if self.config.compression is not None:
            return
        lead = self.config.session_cap_s - self.config.cap_warning_lead_s
        self._cap_timer = asyncio.create_task(self._warn_cap(max(0.0, lead)))

    async def _warn_cap(self, delay: float) -> None:
        await asyncio.sleep(delay)
        left = min(self.config.cap_warning_lead_s, self.config.session_cap_s)
        await self._notify(
            "on_warning",
            "session_cap",
            f"the Live session reaches its {self.config.session_cap_s:g} s cap "
            f"in about {left:g} s (context compression is off)",
        )

    def _cancel_timers(self, *, cap: bool) -> None:
        timers = [self._rotation_timer] + ([self._cap_timer] if cap else [])
        for timer in timers:
            if timer is not None and not timer.done():
                timer.cancel()
        self._rotation_timer = None
        if cap:
            self._cap_timer = None

    # --- helpers -------------------------------------------------------------------

    async def _give_up(self, reason: str, detail: str = "") -> None:
        self._cancel_timers(cap=True)
        logger.warning("Live session stopped: %s %s", reason, detail)
        await self._set_status("disconnected", reason=reason)

    async def _closed_within(self, seconds: float) -> bool:
        if seconds <= 0:
            return self._closed_by_user
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._close_requested.wait()
        return self._closed_by_user

    async def _until_closed(self, work: Coroutine[Any, Any, T]) -> T | None:
        """Run `work` unless the caller closes the session first."""
        task = asyncio.create_task(work)
        closing = asyncio.create_task(self._close_requested.wait())
        try:
            await asyncio.wait({task, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            return None
        result = task.result()
        if self._closed_by_user:
            if isinstance(result, _Attempt):
                await result.connection.close(1000, "closed by the client")
            return None
        return result

    async def _set_status(
        self,
        status: str,
        *,
        attempt: int | None = None,
        retry_in_ms: int | None = None,
        reason: str | None = None,
    ) -> None:
        if status == self._status and status in ("connecting", "connected"):
            return
        self._status = status
        await self._notify(
            "on_status",
            status,
            run_id=self._opened_run_id,
            attempt=attempt,
            retry_in_ms=retry_in_ms,
            reason=reason,
        )

    async def _notify(self, method: str, *args: Any, **kwargs: Any) -> None:
        # A failing listener must not take the upstream session down with it.
        try:
            await getattr(self._listener, method)(*args, **kwargs)
        except Exception:
            logger.exception("listener %s failed", method)
