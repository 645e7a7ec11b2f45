"""Conversations, their upstream runs and their transcript items."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from django.conf import settings
from django.db import models
from django.urls import reverse

from .fields import EncryptedTextField
from .live.events import Began, EndReason

BEGAN_LABELS = {
    Began.NEW: "New Live session",
    Began.RESUMED_WITH_HANDLE: "Resumed with handle",
    Began.RESTORED_FROM_TRANSCRIPT: "Restored from transcript",
}
END_REASON_LABELS = {
    EndReason.GOAWAY: "goAway rotation",
    EndReason.NETWORK: "Network drop",
    EndReason.USER: "Ended by user",
    EndReason.DEVICE_SWITCH: "Device switch",
    EndReason.HANDLE_EXPIRED: "Handle expired",
    EndReason.BROWSER_LEFT: "Browser left",
    EndReason.IDLE: "Paused while idle",
    EndReason.ERROR: "Error",
    EndReason.WORKER_LOST: "Worker lost",
}


class RunEventKind(StrEnum):
    """What a `RunEvent` records; `conversations.recorder` says what data it holds."""

    SETUP = "setup"
    ATTEMPT_FAILED = "attempt_failed"
    RECONNECT = "reconnect"
    HANDLE = "handle"
    GOAWAY = "goaway"
    USER_TURN = "user_turn"
    INTERRUPTED = "interrupted"
    GENERATION_COMPLETE = "generation_complete"
    TURN_COMPLETE = "turn_complete"
    USAGE = "usage"
    AUDIO = "audio"
    CLOSE = "close"
    GAVE_UP = "gave_up"


E = TypeVar("E", bound=StrEnum)

RUN_EVENT_LABELS = {
    RunEventKind.SETUP: "Setup sent and completed",
    RunEventKind.ATTEMPT_FAILED: "Connection attempt failed",
    RunEventKind.RECONNECT: "Reconnect scheduled",
    RunEventKind.HANDLE: "Resumption update",
    RunEventKind.GOAWAY: "goAway",
    RunEventKind.USER_TURN: "User turn sent",
    RunEventKind.INTERRUPTED: "Reply interrupted",
    RunEventKind.GENERATION_COMPLETE: "Generation complete",
    RunEventKind.TURN_COMPLETE: "Turn complete",
    RunEventKind.USAGE: "Token usage",
    RunEventKind.AUDIO: "Audio counted",
    RunEventKind.CLOSE: "Connection closed",
    RunEventKind.GAVE_UP: "Gave up",
}


def _choices(labels: Mapping[E, str]) -> list[tuple[str, str]]:
    return [(member.value, label) for member, label in labels.items()]


class Conversation(models.Model):
    class Mode(models.TextChoices):
        VOICE = "voice", "Voice"
        TEXT = "text", "Text"

    class State(models.TextChoices):
        IDLE = "idle", "Idle"
        ACTIVE = "active", "Active"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    model = models.CharField(max_length=100)
    system_instruction = models.TextField(blank=True)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.VOICE)
    state = models.CharField(max_length=10, choices=State.choices, default=State.IDLE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_activity_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Server-side only: never rendered, never sent to a browser, masked in the
    # admin, and encrypted at rest (a bearer credential for two hours).
    resumption_handle = EncryptedTextField(
        blank=True, key_setting="RESUMPTION_HANDLE_KEY"
    )
    resumption_handle_issued_at = models.DateTimeField(null=True, blank=True)
    handle_covered_seq = models.BigIntegerField(default=0)
    # Counters advanced under a row lock so seq and run_id stay gap-free.
    next_seq = models.PositiveIntegerField(default=1)
    next_run_id = models.PositiveIntegerField(default=0)
    # Which socket (a channel name) holds the conversation's one upstream, and
    # until when: a holder that dies stops renewing and its lease lapses.
    lease_holder = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_activity_at"]
        indexes = [models.Index(fields=["owner", "-last_activity_at"])]
        permissions = [
            ("view_transcript", "Can read the transcript of a conversation"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "conversations:conversation_detail", kwargs={"public_id": self.public_id}
        )


class Run(models.Model):
    """One upstream Live connection of a conversation."""

    # The values the Live session reports (conversations.live.events).
    Began = Began
    EndReason = EndReason

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="runs"
    )
    run_id = models.PositiveIntegerField()
    began = models.CharField(
        max_length=32, choices=_choices(BEGAN_LABELS), default=Began.NEW
    )
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(
        max_length=32, choices=_choices(END_REASON_LABELS), blank=True
    )
    close_code = models.PositiveIntegerField(null=True, blank=True)
    close_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["conversation", "run_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "run_id"], name="unique_run_id_per_conversation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id} run {self.run_id}"


class TranscriptItem(models.Model):
    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"
        SYSTEM = "system", "System"
        TOOL = "tool", "Tool"

    class Modality(models.TextChoices):
        TEXT = "text", "Text"
        AUDIO = "audio", "Audio"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="items"
    )
    run = models.ForeignKey(
        Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=16, choices=Role.choices)
    modality = models.CharField(max_length=8, choices=Modality.choices)
    content = models.TextField()
    # The page's id of a typed turn: a turn re-sent with the same id is stored once.
    client_turn_id = models.CharField(max_length=64, blank=True, default="")
    interrupted = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "seq"], name="unique_seq_per_conversation"
            ),
            models.UniqueConstraint(
                fields=["conversation", "client_turn_id"],
                condition=~models.Q(client_turn_id=""),
                name="unique_client_turn_id_per_conversation",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.role}"


class RunEvent(models.Model):
    """Something that explains a run, as metadata only.

    Never a handle, a token, a key or audio: `data` holds counts, codes, reasons
    and flags (see `conversations.recorder` for what each kind carries). Events
    between runs (a reconnect attempt, a failed token mint) have no run.
    """

    Kind = RunEventKind

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="run_events"
    )
    run = models.ForeignKey(
        Run, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=32, choices=_choices(RUN_EVENT_LABELS))
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["conversation", "at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "at"]),
            models.Index(fields=["kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%H:%M:%S}"


class TranscriptAccess(models.Model):
    """A staff member opened a conversation's transcript in the admin."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="transcript_accesses"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name_plural = "transcript accesses"

    def __str__(self) -> str:
        return f"{self.staff_id} read {self.conversation_id} at {self.at:%Y-%m-%d}"
