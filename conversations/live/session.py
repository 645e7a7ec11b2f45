"""One logical Live session carried over many upstream connections (runs).

`LiveSession` keeps a conversation with Live going across drops, `goAway` rotations,
refused handles and token failures, and reports everything as one stream of typed
events (`events`) to its listener:

* every connection attempt gets a fresh credential (see `tokens`);
* what Live holds of the user's input is kept in a `Ledger`: typed turns not
  answered are sent again once, in order; the audio of an utterance cut by a drop
  is replayed unless Live answered it; only the newest handle that covers what was
  answered is kept, and one older than `handle_lifetime_s` is not tried;
* when there is no usable handle (refused, too old, or missing answered turns), a
  new Live session is seeded with the history `seed_provider` returns, never a
  handle and history together;
* on `goAway` the session rotates at the next turn boundary, or at the deadline
  (`timeLeft - goaway_margin_s`) if that comes first, closing the old socket first;
* reconnects back off with full jitter and a cap, the first retry immediate; after
  `max_attempts` attempts in a row that failed or died before doing anything the
  session gives up (`disconnected`, `gave_up`) and `resume()` starts over; a
  connection that answered a turn or issued a handle resets the count;
* a close the caller asked for (`close()`) never reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Sequence
from datetime import datetime

import httpx

from .attempts import Attempt, Ended, SeedProvider, how_it_ended, open_next
from .backoff import Backoff, RetryDelays
from .client import LazyHttpClient, LiveConnection
from .closecodes import CloseAction
from .config import LiveConfig
from .events import (
    Began,
    EndReason,
    LiveListener,
    Status,
    StopReason,
    TurnId,
    WarningKind,
)
from .handles import HandleKeeper
from .ledger import Handle, Ledger
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
from .reporter import Reporter
from .retries import Retries
from .rotation import GoAwayRotation, SessionCapWarning
from .timers import CloseRequest
from .uplink import Uplink
from .user_input import UserInput

logger = logging.getLogger(__name__)

MODEL_OUTPUT = (ModelAudio, ModelText, OutputTranscription)
CLIENT_CLOSE = (1000, "closed by the client")


class SessionClosed(Exception):
    """The caller closed the session; it takes no more input."""


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
        backoff: RetryDelays | None = None,
    ) -> None:
        """`backoff` replaces the configured policy (benchmarks compare others)."""
        if handle_issued_at is not None and handle_issued_at.tzinfo is None:
            raise ValueError("handle_issued_at must be timezone-aware")
        self.config = config
        self._report = Reporter(listener)
        self._ledger = Ledger()
        if resume_handle:
            self._ledger.handle = Handle(resume_handle, handle_issued_at)
        self._handles = HandleKeeper(
            self._ledger, self._report, config.handle_lifetime_s
        )
        self._run_ids = itertools.count(first_run_id)
        self._seed_provider = seed_provider
        self._http = LazyHttpClient(http_client)
        self._retries = Retries(
            config.max_attempts,
            backoff or Backoff(config.base_delay_s, config.max_delay_s),
        )
        self._uplink = Uplink()
        self._goaway = GoAwayRotation(config.goaway_margin_s, self._uplink)
        self._cap = SessionCapWarning(
            config, lambda detail: self._report.warn(WarningKind.SESSION_CAP, detail)
        )
        self._input = UserInput(
            self._ledger,
            self._uplink,
            self._report,
            rotating=lambda: self._goaway.announced,
        )
        self._close_request = CloseRequest()
        self._supervisor: asyncio.Task[None] | None = None

    # --- public API ----------------------------------------------------------------
    @property
    def status(self) -> Status | None:
        """The last status reported to the listener."""
        return self._report.status

    @property
    def unanswered_turn_ids(self) -> list[TurnId]:
        """Ids of the typed turns Live has not answered, in order."""
        return self._ledger.unanswered_turn_ids

    @property
    def pending_turn_ids(self) -> list[TurnId]:
        """Ids of the typed turns the newest handle does not cover yet, in order."""
        return self._ledger.uncovered_turn_ids

    async def start(self) -> None:
        """Start connecting in the background; progress is reported to the listener."""
        self._check_open()
        if self._supervisor is not None:
            raise RuntimeError("the session is already started")
        self._supervisor = asyncio.create_task(self._supervise())

    async def resume(self) -> None:
        """Start again after the session gave up or hit an error."""
        self._check_open()
        if self._supervisor is None or self._supervisor.done():
            self._supervisor = asyncio.create_task(self._supervise())

    async def send_text(self, text: str, *, turn_id: TurnId | None = None) -> TurnId:
        """Queue a typed turn, sent as soon as Live can take it; returns its id.

        `turn_id` is the caller's id for the turn (a transcript seq, say); it comes
        back in `UserTurnSent` and in the ids passed to `seed_provider`.
        """
        self._check_open()
        return await self._input.text(text, turn_id)

    async def send_audio(self, pcm16_16khz: bytes) -> bool:
        """Send PCM16 mono 16 kHz audio; returns whether it was sent now.

        While the upstream is away it is kept (the utterance Live has not answered,
        at most the ledger's `max_replay_s`) and goes to the next connection.
        """
        self._check_open()
        return await self._input.audio(pcm16_16khz)

    async def end_audio(self) -> bool:
        """Tell Live the microphone stopped (`audioStreamEnd`); return whether sent."""
        self._check_open()
        return await self._input.audio_ended()

    async def send_tool_response(self, responses: Sequence[FunctionResponse]) -> bool:
        """Answer a `ToolCall`; returns whether it was sent.

        A response cannot outlive its connection: a resumed session never saw the call,
        so while the upstream is away the response is dropped with a warning.
        """
        self._check_open()
        return await self._input.tool_response(responses)

    def forget_handle(self) -> None:
        """Do not resume with the newest handle: the next connection restores."""
        self._handles.forget("asked to")

    async def close(self, *, reason: StopReason = StopReason.USER) -> None:
        """End the session for good (the caller asked for it): no reconnect follows.

        `reason` is reported as the end reason of the open run and of the session.
        """
        if self._close_request.made:
            return
        self._close_request.make(reason)
        await self._report.status_changed(Status.DISCONNECTING)
        await self._uplink.close(EndReason.USER, *CLIENT_CLOSE)
        if self._supervisor is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        self._goaway.cancel()
        self._cap.cancel()
        self._input.cancel()
        await self._http.aclose()
        await self._report.status_changed(Status.DISCONNECTED, reason=reason)

    # --- connection loop -----------------------------------------------------------
    async def _supervise(self) -> None:
        self._retries.reset()
        quiet = False  # a planned rotation shows no status change unless it fails
        if self._report.status != Status.CONNECTED:
            await self._report.status_changed(Status.CONNECTING)
        while not self._close_request.made:
            if self._retries.failures:
                if self._retries.exhausted:
                    await self._give_up(StopReason.GAVE_UP)
                    return
                delay = self._retries.delay()
                await self._report.status_changed(
                    Status.RECONNECTING,
                    attempt=self._retries.failures,
                    retry_in_ms=round(delay * 1000),
                )
                if await self._close_request.within(delay):
                    return
            attempt = await self._close_request.unless_made(self._connect())
            if attempt is None:
                return
            if self._close_request.made:
                if isinstance(attempt, Attempt):
                    await attempt.connection.close(*CLIENT_CLOSE)
                return
            if isinstance(attempt, Ended):
                ended = attempt
                await self._report.attempt_failed(self._retries.failures + 1, ended)
            else:
                ended = await self._serve(attempt, quiet=quiet)
            if ended.action is None:
                return
            if ended.action is CloseAction.FATAL:
                await self._give_up(StopReason.ERROR, ended.close_reason)
                return
            if ended.action is CloseAction.RESTORE:
                self._handles.forget("refused")
            quiet = ended.rotated
            if not quiet:
                # A connection that made progress reset the count to 0 meanwhile.
                self._retries.failed()

    async def _connect(self) -> Attempt | Ended:
        return await open_next(
            self.config,
            self._http.get(),
            handle=self._handles.usable(),
            seed_provider=self._seed_provider,
            unanswered=self._ledger.unanswered_turn_ids,
        )

    async def _serve(self, attempt: Attempt, *, quiet: bool) -> Ended:
        connection = attempt.connection
        run_id = next(self._run_ids)
        self._input.connection_opened()
        if self._close_request.made:
            # close() ran while the attempt was finishing.
            await connection.close(*CLIENT_CLOSE)
            return Ended(EndReason(self._close_request.reason), None, *CLIENT_CLOSE)
        self._uplink.attach(connection)

        self._ledger.connection_opened(attempt.began, seeded=bool(attempt.seed))
        await self._report.run_opened(run_id, attempt.began, len(attempt.seed))
        if attempt.began != Began.RESUMED_WITH_HANDLE:
            self._cap.start()  # a new Live session: its cap counts from now
        await self._report.context_restored(attempt.began, quiet=quiet)
        await self._uplink.open(attempt.seed, self._ledger)
        await self._input.pump()

        async for event in connection.events():
            await self._on_server_event(connection, event)

        ending = self._uplink.ending
        self._uplink.detach()
        self._ledger.connection_lost()
        self._goaway.cancel()
        await connection.wait_closed()
        ended = how_it_ended(
            connection,
            began=attempt.began,
            ending=ending,
            stop_reason=self._close_request.reason,
            goaway_announced=self._goaway.announced,
        )
        await self._report.run_closed(run_id, ended)
        return ended

    # --- what Live says ------------------------------------------------------------
    async def _on_server_event(
        self, connection: LiveConnection, event: ServerEvent
    ) -> None:
        if isinstance(event, SessionResumptionUpdate):
            if event.resumable and event.new_handle:
                # Live is working: whatever drops this connection now is bad luck,
                # not a failing service, so it does not count against the bound.
                self._retries.reset()
            if await self._handles.update(event):
                await self._goaway.at_turn_boundary(connection, self._ledger.idle)
            return
        if isinstance(event, SetupComplete):
            return
        if isinstance(event, InputTranscription):
            self._ledger.speech_heard(time.monotonic())
        elif isinstance(event, MODEL_OUTPUT):
            self._ledger.model_output()
        elif isinstance(event, GoAway):
            self._goaway.announce(connection, event.time_left_s)
        elif isinstance(event, TurnComplete) and self._ledger.turn_complete():
            self._retries.reset()
        await self._report.emit(event)
        if isinstance(event, TurnComplete):
            await self._input.pump()
        if isinstance(event, GoAway | TurnComplete):
            await self._goaway.at_turn_boundary(connection, self._ledger.idle)

    # --- helpers -------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._close_request.made:
            raise SessionClosed("the session was closed")

    async def _give_up(self, reason: StopReason, detail: str = "") -> None:
        self._goaway.cancel()
        self._cap.cancel()
        logger.warning("Live session stopped: %s %s", reason, detail)
        await self._report.status_changed(Status.DISCONNECTED, reason=reason)
