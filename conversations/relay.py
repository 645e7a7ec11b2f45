"""One conversation's upstream Live session, as held by the socket that owns it.

The relay sits between a ``LiveSession`` and the browser-facing consumer: it turns
Live events into browser events, aggregates streaming transcription into one stored
item per turn, and records runs and resumption handles through the services. The
consumer only hands it browser commands and forwards what it publishes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings

from . import selectors, services
from .exports import item_as_dict
from .live import protocol
from .live.config import Compression, LiveConfig
from .live.events import (
    Began,
    HandleIssued,
    HandleUpdate,
    RunClosed,
    RunOpened,
    SessionEvent,
    SessionWarning,
    Status,
    StatusChanged,
    StopReason,
    TurnId,
    UserTurnSent,
)
from .live.session import LiveSession
from .models import Conversation, Run, TranscriptItem
from .recorder import RunRecorder
from .turns import FinishedTurn, TurnAggregator

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")
Publish = Callable[[str, dict[str, Any]], Awaitable[None]]
SendAudio = Callable[[bytes], Awaitable[None]]

CONTEXT_ITEMS_SHOWN = 50

_BEGAN_TO_SOURCE = {
    Began.RESUMED_WITH_HANDLE: "handle",
    Began.RESTORED_FROM_TRANSCRIPT: "transcript",
}
_STATUS_TO_STATE = {
    Status.CONNECTED: Conversation.State.ACTIVE,
    Status.DISCONNECTED: Conversation.State.IDLE,
}
_LIVE_ROLE = {TranscriptItem.Role.USER: "user", TranscriptItem.Role.ASSISTANT: "model"}
# What Live says about a turn (and the handle after it): activity, not idle.
_TURN_ACTIVITY = (
    HandleUpdate,
    protocol.InputTranscription,
    protocol.OutputTranscription,
    protocol.ModelText,
    protocol.ModelAudio,
    protocol.Interrupted,
    protocol.TurnComplete,
    UserTurnSent,
)
_REPLY = (protocol.OutputTranscription, protocol.ModelText, protocol.ModelAudio)


def live_config_for(conversation: Conversation) -> LiveConfig:
    """The upstream configuration of a conversation, from the settings."""
    return LiveConfig(
        api_base=settings.LIVE_API_BASE,
        api_key=settings.GEMINI_API_KEY or settings.EMULATOR_API_KEY,
        model=conversation.model,
        auth_mode=settings.LIVE_AUTH_MODE,
        # Current Live models answer in audio only; text conversations read the
        # reply's transcription and simply do not play the audio.
        response_modality="AUDIO",
        system_instruction=conversation.system_instruction,
        input_transcription=True,
        output_transcription=True,
        compression=Compression() if settings.LIVE_COMPRESSION else None,
        max_attempts=settings.LIVE_MAX_ATTEMPTS,
        base_delay_s=min(0.5, settings.LIVE_MAX_BACKOFF_MS / 1000),
        max_delay_s=settings.LIVE_MAX_BACKOFF_MS / 1000,
    )


class ConversationRelay:
    """Carries a conversation's Live session for the socket that owns it."""

    def __init__(
        self,
        conversation: Conversation,
        *,
        publish: Publish,
        send_audio: SendAudio,
        tell_owner: Publish | None = None,
        config: LiveConfig | None = None,
    ) -> None:
        """`publish` reaches every socket of the conversation; `tell_owner` and
        `send_audio` only the socket that owns this relay."""
        self.conversation = conversation
        self._latest_seq = 0  # the newest item this relay knows is stored
        self._publish = publish
        self._tell_owner = tell_owner or publish
        self._send_audio = send_audio
        self._config = config or live_config_for(conversation)
        self._turns = TurnAggregator()
        self._run: Run | None = None
        self._session: LiveSession | None = None
        self._voice = conversation.mode == Conversation.Mode.VOICE
        self._deleted = False
        # Counts stop() calls: a start() that a stop() overtook opens nothing.
        self._stops = 0
        self._last_activity = time.monotonic()
        self._replying = False  # a reply is streaming
        self._stopping: StopReason | None = None  # why stop() is closing it
        self._listening = False  # audio came, and no end of it yet
        self._recorder = RunRecorder(
            conversation_id=conversation.pk,
            model=self._config.model,
            modality=self._config.response_modality,
            credential="token" if self._config.auth_mode == "ephemeral" else "key",
        )

    @property
    def running(self) -> bool:
        return self._session is not None

    def idle_for(self) -> float | None:
        """Seconds since the user's last input or Live's last word on a turn.

        None while the conversation is not idle: a typed turn waits for its
        answer, a reply is streaming, or the microphone is open.
        """
        session = self._session
        awaiting = (
            session is not None
            and session.status != Status.DISCONNECTED
            and bool(session.unanswered_turn_ids)
        )
        if awaiting or self._replying or self._listening:
            return None
        return time.monotonic() - self._last_activity

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    async def start(self) -> None:
        """Open (or resume) the Live session from what the database holds."""
        self._touch()
        stops = self._stops
        plan = await database_sync_to_async(services.begin_resume)(
            conversation_id=self.conversation.pk
        )
        if self._stops != stops:
            # Stopped (a takeover, the socket gone) while the plan was read: a
            # session started now would hold the upstream with nobody to stop it.
            return
        self.conversation = plan.conversation
        self._latest_seq = plan.latest_seq
        self._session = LiveSession(
            self._config,
            self,
            resume_handle=plan.handle,
            handle_issued_at=plan.handle_issued_at,
            first_run_id=plan.conversation.next_run_id,
            seed_provider=self._seed,
        )
        # Turns stored but never answered (their owner went away first) go out
        # again; the session's ledger sends each exactly once.
        for item in plan.unanswered:
            await self._session.send_text(item.content, turn_id=item.seq)
        await self._session.start()

    async def stop(self, reason: StopReason, *, deleted: bool = False) -> None:
        """Close the upstream (user end, device switch, socket gone, a pause).

        ``deleted``: the conversation no longer exists, so nothing is recorded.
        """
        self._stops += 1
        self._deleted = self._deleted or deleted
        if self._deleted:
            self._recorder.discard()
        session, self._session = self._session, None
        if session is not None:
            self._stopping = reason
            try:
                await session.close(reason=reason)
            finally:
                self._stopping = None
        self._turns.discard()
        await self._recorder.close()

    def forget_handle(self) -> None:
        """The stored handle was expired by hand: do not resume with it either."""
        if self._session is not None:
            self._session.forget_handle()

    async def resume(self) -> None:
        self._touch()
        if self._session is None:
            await self.start()
        else:
            await self._session.resume()

    # -- browser → Live ---------------------------------------------------------
    async def send_text(self, text: str, *, client_turn_id: str = "") -> None:
        """Store a typed turn and send it to Live, once per `client_turn_id`."""
        self._touch()
        stored = await self._write(
            services.record_typed_turn,
            conversation=self.conversation,
            content=text,
            client_turn_id=client_turn_id,
            run=self._run,
        )
        if stored is None:
            return
        item, created = stored
        if created and self._session is not None:
            # Into the session's books before anything else can run: a seed read
            # from now on sees the turn stored and must know it is to be sent.
            await self._session.send_text(item.content, turn_id=item.seq)
        # A turn sent again is answered with what is stored: it reached Live once.
        await self._published_item(item)

    async def send_audio(self, pcm16: bytes) -> None:
        self._touch()
        self._listening = True
        if self._session is not None:
            self._recorder.audio_in(pcm16)
            await self._session.send_audio(pcm16)

    async def end_audio(self) -> None:
        self._touch()
        self._listening = False
        if self._session is not None:
            await self._session.end_audio()

    # -- LiveSession events ------------------------------------------------------
    async def on_event(self, event: SessionEvent) -> None:
        self._recorder.observe(event)
        if isinstance(event, _TURN_ACTIVITY):
            self._touch()
            self._replying = isinstance(event, _REPLY)
        match event:
            case StatusChanged():
                await self._status_changed(event)
            case RunOpened(run_id=run_id, began=began):
                await self._run_opened(run_id, began)
            case RunClosed():
                await self._run_closed(event)
            case HandleIssued(handle=handle, issued_at=issued_at):
                await self._handle_issued(handle, issued_at)
            case SessionWarning(kind=kind, detail=detail):
                await self._publish("warning", {"kind": kind, "message": detail})
            case protocol.ModelAudio(data=data):
                if self._voice:
                    await self._send_audio(data)
            case protocol.InputTranscription(text=text):
                self._turns.user_speech(text)
                await self._publish("transcript.delta", {"role": "user", "text": text})
            case (
                protocol.OutputTranscription(text=text) | protocol.ModelText(text=text)
            ):
                self._turns.assistant_output(text)
                await self._publish(
                    "transcript.delta", {"role": "assistant", "text": text}
                )
            case UserTurnSent():
                self._turns.typed_turn_sent()
            case protocol.Interrupted():
                self._turns.interrupted()
                await self._publish("interrupted", {})
            case protocol.TurnComplete():
                await self._store(self._turns.turn_complete())
                await self._publish("turn.complete", {})

    async def _status_changed(self, event: StatusChanged) -> None:
        # The run lets a page ignore an older run's news (a device switch).
        payload: dict[str, Any] = {"status": event.status}
        reason = event.reason
        if event.status == Status.DISCONNECTING and self._stopping is not None:
            # Said at once, so a page never shows a pause as an ending.
            reason = self._stopping
        if event.run_id is not None:
            payload["run_id"] = event.run_id
        if event.attempt is not None:
            payload["attempt"] = event.attempt
        if event.retry_in_ms is not None:
            payload["retry_in_ms"] = event.retry_in_ms
        if reason:
            payload["reason"] = reason
        if self._stopping == StopReason.DEVICE_SWITCH:
            # The new owner is already taking over: this run's goodbye is for
            # the old device alone, or it could reach the new owner's page
            # before any news of the new run it must be told apart from.
            await self._tell_owner("status", payload)
        else:
            await self._publish("status", payload)
        state = _STATUS_TO_STATE.get(event.status)
        if state is not None:
            await self._write(
                services.set_conversation_state,
                conversation=self.conversation,
                state=state,
                run_id=event.run_id,
            )

    async def _run_opened(self, run_id: int, began: Began) -> None:
        self._run = await self._write(
            services.start_run,
            conversation=self.conversation,
            began=began,
            run_id=run_id,
        )
        await self._publish(
            "session.created",
            {
                "conversation_id": str(self.conversation.public_id),
                "run_id": run_id,
                "resumed": began != Began.NEW,
            },
        )
        source = _BEGAN_TO_SOURCE.get(began)
        if source:
            await self._publish_context_restored(source, run_id)

    async def _run_closed(self, event: RunClosed) -> None:
        # A reply cut off by a lost connection is asked again after the resume:
        # its half is not stored, or the transcript would hold it twice.
        self._turns.discard()
        self._replying = False
        run, self._run = self._run, None
        if run is not None:
            await self._write(
                services.finish_run,
                run=run,
                end_reason=event.reason,
                close_code=event.code,
                close_reason=event.close_reason,
            )

    async def _handle_issued(self, handle: str, issued_at: datetime) -> None:
        pending = self._session.pending_turn_ids if self._session else []
        # This relay's turn ids are transcript seqs.
        pending_seqs = [turn for turn in pending if isinstance(turn, int)]
        covered_seq = min(pending_seqs) - 1 if pending_seqs else self._latest_seq
        self._recorder.handle_covers(covered_seq)
        await self._write(
            services.store_resumption_handle,
            conversation=self.conversation,
            handle=handle,
            issued_at=issued_at,
            covered_seq=covered_seq,
            run_id=self._run.run_id if self._run is not None else None,
        )

    # -- helpers -------------------------------------------------------------------
    async def _write(
        self, service: Callable[P, R], *args: P.args, **kwargs: P.kwargs
    ) -> R | None:
        """Run a service in a worker thread, unless the conversation was deleted."""
        if self._deleted:
            return None
        return await database_sync_to_async(service)(*args, **kwargs)

    async def _store(self, finished: list[FinishedTurn]) -> None:
        for turn in finished:
            item = await self._write(
                services.record_transcript_item,
                conversation=self.conversation,
                role=turn.role,
                modality=(
                    TranscriptItem.Modality.AUDIO
                    if turn.role == "user" or self._voice
                    else TranscriptItem.Modality.TEXT
                ),
                content=turn.content,
                run=self._run,
                interrupted=turn.interrupted,
            )
            if item is not None:
                await self._published_item(item)

    async def _published_item(self, item: TranscriptItem) -> None:
        self._latest_seq = max(self._latest_seq, item.seq)
        await self._publish("transcript.item", item_as_dict(item))

    async def _seed(self, pending_turn_ids: list[TurnId]) -> list[tuple[str, str]]:
        """History for a new Live session, minus the turns about to be replayed.

        A typed turn stored while the history was read is in it, and in the
        session's books too: the books are read again after the history.
        """
        page = await database_sync_to_async(selectors.transcript_page)(
            conversation=self.conversation, limit=settings.LIVE_SEED_MAX_ITEMS
        )
        replayed = set(pending_turn_ids)
        if self._session is not None:
            replayed.update(self._session.unanswered_turn_ids)
        return [
            (_LIVE_ROLE[item.role], item.content)
            for item in page.items
            if item.role in _LIVE_ROLE and item.seq not in replayed
        ]

    async def _publish_context_restored(self, source: str, run_id: int) -> None:
        page = await database_sync_to_async(selectors.transcript_page)(
            conversation=self.conversation, limit=CONTEXT_ITEMS_SHOWN
        )
        await self._publish(
            "context.restored",
            {
                "items": [item_as_dict(item) for item in page.items],
                "source": source,
                "run_id": run_id,
            },
        )
