"""The run recorder: what explains each run, written in batches off the hot path.

It watches a relay's session events and keeps `RunEvent` rows as metadata only:
never a handle, a token, a key or audio. Audio is counted (frames, bytes and
seconds each way). Rows are written in one insert when a turn completes, at most
`FLUSH_AFTER_S` after anything else (a reconnect storm costs no write per run),
and when the relay stops; the writes run in the background, so the relay never
waits for them.

What each kind's `data` holds:

| kind | data |
| --- | --- |
| `setup` | began, seed_items, model, modality, credential (`token` or `key`) |
| `attempt_failed` | attempt, stage (`token`, `handshake`, `setup`), code, reason |
| `reconnect` | attempt, delay_ms |
| `handle` | resumable, usable, covers_seq |
| `goaway` | time_left_s |
| `user_turn` | seq, replayed |
| `interrupted`, `generation_complete`, `turn_complete` | — |
| `usage` | prompt, response, total |
| `audio` | in_frames, in_bytes, in_seconds, out_frames, out_bytes, out_seconds |
| `close` | reason, code, close_reason, by (`client`, `server`, `network`) |
| `gave_up` | reason (`gave_up` or `error`) |
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from . import services
from .live import protocol
from .live.events import (
    AttemptFailed,
    HandleUpdate,
    RunClosed,
    RunOpened,
    SessionEvent,
    Status,
    StatusChanged,
    StopReason,
    UserTurnSent,
)
from .models import RunEvent

logger = logging.getLogger(__name__)

INPUT_BYTES_PER_SECOND = 16_000 * 2  # PCM16 mono at 16 kHz
OUTPUT_BYTES_PER_SECOND = 24_000 * 2  # PCM16 mono at 24 kHz
FLUSH_AFTER_S = 10.0  # events of a quiet run wait at most this long


@dataclass
class _AudioCount:
    in_frames: int = 0
    in_bytes: int = 0
    out_frames: int = 0
    out_bytes: int = 0

    def as_data(self) -> dict[str, Any]:
        return {
            "in_frames": self.in_frames,
            "in_bytes": self.in_bytes,
            "in_seconds": round(self.in_bytes / INPUT_BYTES_PER_SECOND, 3),
            "out_frames": self.out_frames,
            "out_bytes": self.out_bytes,
            "out_seconds": round(self.out_bytes / OUTPUT_BYTES_PER_SECOND, 3),
        }


class RunRecorder:
    """Records one conversation's runs for the session inspector."""

    def __init__(
        self, *, conversation_id: int, model: str, modality: str, credential: str
    ) -> None:
        self.conversation_id = conversation_id
        self._setup = {"model": model, "modality": modality, "credential": credential}
        self._run_id: int | None = None
        self._pending: list[services.RunEventRecord] = []
        self._audio = _AudioCount()
        self._covers_seq: int | None = None
        self._writer: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._discarded = False

    # -- what the relay tells it ----------------------------------------------------
    def observe(self, event: SessionEvent) -> None:
        """Note what explains the run; a turn's or a run's end writes the batch."""
        match event:
            case RunOpened(run_id=run_id, began=began, seed_items=seed_items):
                self._run_id = run_id
                self._note(
                    RunEvent.Kind.SETUP,
                    {"began": began, "seed_items": seed_items, **self._setup},
                )
            case RunClosed():
                self._note_audio()
                self._note(
                    RunEvent.Kind.CLOSE,
                    {
                        "reason": event.reason,
                        "code": event.code,
                        "close_reason": event.close_reason,
                        "by": event.by,
                    },
                )
                self._run_id = None
            case AttemptFailed():
                self._note(
                    RunEvent.Kind.ATTEMPT_FAILED,
                    {
                        "attempt": event.attempt,
                        "stage": event.stage,
                        "code": event.code,
                        "reason": event.reason,
                    },
                    in_run=False,
                )
            case StatusChanged(status=Status.RECONNECTING):
                self._note(
                    RunEvent.Kind.RECONNECT,
                    {"attempt": event.attempt, "delay_ms": event.retry_in_ms},
                    in_run=False,
                )
            case StatusChanged(status=Status.DISCONNECTED, reason=reason) if reason in (
                StopReason.GAVE_UP,
                StopReason.ERROR,
            ):
                self._note(RunEvent.Kind.GAVE_UP, {"reason": reason}, in_run=False)
            case HandleUpdate(resumable=resumable, usable=usable):
                covers = self._covers_seq if usable else None
                self._note(
                    RunEvent.Kind.HANDLE,
                    {"resumable": resumable, "usable": usable, "covers_seq": covers},
                )
            case protocol.GoAway(time_left_s=time_left_s):
                self._note(RunEvent.Kind.GOAWAY, {"time_left_s": time_left_s})
            case UserTurnSent(turn_id=turn_id, replayed=replayed):
                seq = turn_id if isinstance(turn_id, int) else None
                self._note(RunEvent.Kind.USER_TURN, {"seq": seq, "replayed": replayed})
            case protocol.Interrupted():
                self._note(RunEvent.Kind.INTERRUPTED, {})
            case protocol.GenerationComplete():
                self._note(RunEvent.Kind.GENERATION_COMPLETE, {})
            case protocol.UsageMetadata():
                self._note(
                    RunEvent.Kind.USAGE,
                    {
                        "prompt": event.prompt_tokens,
                        "response": event.response_tokens,
                        "total": event.total_tokens,
                    },
                )
            case protocol.ModelAudio(data=data):
                self._audio.out_frames += 1
                self._audio.out_bytes += len(data)
            case protocol.TurnComplete():
                self._note_audio()
                self._note(RunEvent.Kind.TURN_COMPLETE, {})
                self.flush()

    def handle_covers(self, seq: int) -> None:
        """The newest usable handle covers the transcript up to `seq`."""
        self._covers_seq = seq

    def audio_in(self, pcm: bytes) -> None:
        self._audio.in_frames += 1
        self._audio.in_bytes += len(pcm)

    def discard(self) -> None:
        """The conversation is gone: write nothing more."""
        self._discarded = True
        self._pending.clear()

    # -- writing ----------------------------------------------------------------
    def flush(self) -> None:
        """Write what is pending, in the background."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending or self._discarded:
            return
        batch, self._pending = self._pending, []
        previous = self._writer
        self._writer = asyncio.create_task(self._write(batch, previous))

    async def close(self) -> None:
        """Write what is left and wait for every write to finish."""
        self._note_audio()
        self.flush()
        if self._writer is not None:
            await self._writer

    async def _write(
        self,
        batch: list[services.RunEventRecord],
        previous: asyncio.Task[None] | None,
    ) -> None:
        if previous is not None:
            await previous  # one writer at a time keeps the rows in order
        if self._discarded:
            return
        try:
            await database_sync_to_async(services.record_run_events)(
                conversation_id=self.conversation_id, events=batch
            )
        except Exception:
            # The inspector loses a batch; the conversation loses nothing.
            logger.exception("could not record %d run events", len(batch))

    def _note(self, kind: str, data: dict[str, Any], *, in_run: bool = True) -> None:
        if self._discarded:
            return
        run_id = self._run_id if in_run else None
        record = services.RunEventRecord(run_id, timezone.now(), kind, data)
        self._pending.append(record)
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(FLUSH_AFTER_S, self.flush)

    def _note_audio(self) -> None:
        if self._audio.in_frames or self._audio.out_frames:
            self._note(RunEvent.Kind.AUDIO, self._audio.as_data())
            self._audio = _AudioCount()
