"""Build a conversation's history of runs, events and turns at chosen times.

Runs and items are written through the services (so run_id and seq stay
gap-free), then their timestamps are set; events are written as the recorder
writes them. `SessionBuilder` keeps a clock that each step moves forward.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from conversations import services
from conversations.models import Conversation, Run, RunEvent, TranscriptItem


class SessionBuilder:
    def __init__(self, conversation: Conversation, start: datetime) -> None:
        self.conversation = conversation
        self.now = start
        self.run: Run | None = None

    # -- the clock --
    def wait(self, seconds: float) -> SessionBuilder:
        self.now += timedelta(seconds=seconds)
        return self

    def event(
        self, kind: str, data: dict[str, Any] | None = None, *, in_run: bool = True
    ) -> RunEvent:
        return RunEvent.objects.create(
            conversation=self.conversation,
            run=self.run if in_run else None,
            at=self.now,
            kind=kind,
            data=data or {},
        )

    # -- between runs --
    def attempt_failed(
        self, attempt: int, stage: str = "handshake", code: int | None = 1006
    ) -> SessionBuilder:
        self.event(
            "attempt_failed",
            {"attempt": attempt, "stage": stage, "code": code, "reason": "refused"},
            in_run=False,
        )
        return self

    def reconnect(self, attempt: int, delay_ms: int = 500) -> SessionBuilder:
        self.event(
            "reconnect", {"attempt": attempt, "delay_ms": delay_ms}, in_run=False
        )
        return self

    def gave_up(self, detail: str = "6 attempts failed") -> SessionBuilder:
        self.event("gave_up", {"reason": "gave_up", "detail": detail}, in_run=False)
        return self

    # -- a run --
    def open(self, began: str = "new", *, seed_items: int = 0) -> SessionBuilder:
        run = services.start_run(conversation=self.conversation, began=began)
        Run.objects.filter(pk=run.pk).update(started_at=self.now)
        run.started_at = self.now
        self.run = run
        self.event(
            "setup",
            {
                "began": began,
                "seed_items": seed_items,
                "model": "gemini-3.8-live",
                "modality": self.conversation.mode,
                "credential": "token",
            },
        )
        return self

    def turn(
        self,
        *,
        interrupted: bool = False,
        replayed: bool = False,
        tokens: int = 100,
        seconds: float = 4,
    ) -> SessionBuilder:
        """A user turn and its reply, `seconds` apart, in the open run."""
        user = self._item(TranscriptItem.Role.USER, "A question from the user")
        self.event("user_turn", {"seq": user.seq, "replayed": replayed})
        self.wait(seconds)
        if interrupted:
            self.event("interrupted")
        self._item(TranscriptItem.Role.ASSISTANT, "An answer", interrupted=interrupted)
        self.event("generation_complete")
        self.event("turn_complete")
        self.event(
            "usage",
            {"prompt": tokens - 20, "response": 20, "total": tokens},
        )
        return self.wait(1)

    def goaway(self, time_left_s: float = 10.0) -> SessionBuilder:
        self.event("goaway", {"time_left_s": time_left_s})
        return self

    def handle(self, covers_seq: int | None = None) -> SessionBuilder:
        self.event(
            "handle",
            {
                "resumable": True,
                "usable": covers_seq is not None,
                "covers_seq": covers_seq,
            },
        )
        return self

    def close(
        self,
        reason: str,
        code: int | None = None,
        close_reason: str = "",
        by: str = "server",
    ) -> SessionBuilder:
        assert self.run is not None
        services.finish_run(
            run=self.run, end_reason=reason, close_code=code, close_reason=close_reason
        )
        Run.objects.filter(pk=self.run.pk).update(ended_at=self.now)
        self.event(
            "close",
            {"reason": reason, "code": code, "close_reason": close_reason, "by": by},
        )
        self.run = None
        return self

    def _item(
        self, role: str, content: str, *, interrupted: bool = False
    ) -> TranscriptItem:
        item = services.record_transcript_item(
            conversation=self.conversation,
            role=role,
            modality="text",
            content=content,
            run=self.run,
            interrupted=interrupted,
        )
        TranscriptItem.objects.filter(pk=item.pk).update(created_at=self.now)
        return item


# How the runs that `every_ending` builds end, in run order.
EVERY_ENDING = [
    "goaway",
    "network",
    "error",
    "handle_expired",
    "device_switch",
    "worker_lost",
    "browser_left",
    "gave_up",
    "user",
    "open",
]


def every_ending(conversation: Conversation, start: datetime) -> SessionBuilder:
    """Runs ending every way the inspector colours, about 16 minutes in all.

    run 0 goAway · 1 network drop · 2 1011 · 3 handle expired · 4 device switch ·
    5 worker lost · 6 browser left · 7 network drop, then a give-up ·
    8 ended by user · 9 still open.
    """
    b = SessionBuilder(conversation, start)
    b.open("new").turn().turn().handle(covers_seq=4).wait(20).goaway(9.5).wait(2)
    b.close("goaway", 1000, "goAway rotation")
    b.wait(0.4).open("resumed_with_handle").turn().turn(interrupted=True).wait(5)
    b.close("network", 1006, "connection lost", by="network")
    b.wait(0.3).attempt_failed(1, "token", None).wait(0.8).reconnect(2, 800).wait(0.9)
    b.open("resumed_with_handle").turn(replayed=True).wait(3)
    b.close("error", 1011, "internal error")
    b.wait(1.2).open("resumed_with_handle").wait(2)
    b.close("handle_expired", 1008, "handle expired")
    b.wait(0.6).open("restored_from_transcript", seed_items=7).turn().wait(4)
    b.close("device_switch", 4001, "taken over by another device", by="client")
    b.wait(0.5).open("resumed_with_handle").turn().wait(6)
    b.close("worker_lost", None, "The worker stopped")
    b.wait(2).open("resumed_with_handle").turn().wait(2)
    b.close("browser_left", 1001, "page closed", by="client")
    b.wait(60).open("resumed_with_handle").turn().wait(2)
    b.close("network", 1006, "connection lost", by="network")
    b.wait(0.5).attempt_failed(1).wait(1).attempt_failed(2).wait(2).gave_up()
    b.wait(600).open("restored_from_transcript", seed_items=12).turn().wait(3)
    b.close("user", 1000, "ended by user", by="client")
    b.wait(30).open("restored_from_transcript", seed_items=14).turn().wait(5)
    return b


def busy_day(owner, now: datetime) -> None:
    """A day of conversations for the operations page: drops in some hours."""
    endings = [
        ("network", 1006),
        ("goaway", 1000),
        ("network", 1006),
        ("error", 1011),
        ("handle_expired", 1008),
        ("network", 1006),
    ]
    for hour in range(0, 24, 2):
        conversation = services.create_conversation(
            owner=owner, title=f"Morning call {hour}", mode="voice"
        )
        b = SessionBuilder(conversation, now - timedelta(hours=23 - hour, minutes=10))
        b.open("new").turn()
        for n in range(hour % 5):
            reason, code = endings[(hour + n) % len(endings)]
            b.wait(20).close(reason, code)
            b.wait(0.3 + (hour * 7 + n * 3) % 11 / 4)
            began = (
                "restored_from_transcript"
                if reason == "handle_expired"
                else "resumed_with_handle"
            )
            b.open(began, seed_items=2 * (n + 1)).turn()
        if hour in (6, 16):
            b.wait(5).close("network", 1006).wait(1).attempt_failed(1).wait(2)
            b.attempt_failed(2).wait(4).gave_up()
        else:
            b.wait(30).close("user", 1000, by="client")
