"""Reads of conversations and transcripts, always scoped to their owner."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet

from .models import Conversation, Run, TranscriptItem

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class TranscriptPage:
    """A window of a transcript, oldest first, and whether older items exist."""

    items: list[TranscriptItem]
    has_earlier: bool

    @property
    def first_seq(self) -> int | None:
        return self.items[0].seq if self.items else None

    @property
    def last_seq(self) -> int | None:
        return self.items[-1].seq if self.items else None


def conversations_for_user(user: User | AnonymousUser) -> QuerySet[Conversation]:
    """Return the user's conversations with `run_count`, newest activity first."""
    if not user.is_authenticated:
        return Conversation.objects.none()
    return (
        Conversation.objects.filter(owner=user)
        .defer("resumption_handle", "system_instruction")
        .annotate(run_count=Count("runs"))
        .order_by("-last_activity_at", "-pk")
    )


def conversation_for_user(
    *, user: User | AnonymousUser, public_id: UUID | str
) -> Conversation | None:
    """The conversation if `user` owns it; None for anyone else or a bad id."""
    if not user.is_authenticated:
        return None
    try:
        return Conversation.objects.get(owner=user, public_id=public_id)
    except (Conversation.DoesNotExist, ValueError, ValidationError):
        return None


def transcript_page(
    *, conversation: Conversation, before_seq: int | None = None, limit: int = 50
) -> TranscriptPage:
    """Return the newest `limit` items before `before_seq` (or overall), oldest first.

    Keyset pagination on `seq` keeps this one indexed query however long the
    conversation is.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    items = TranscriptItem.objects.filter(conversation=conversation)
    if before_seq is not None:
        items = items.filter(seq__lt=before_seq)
    newest_first = list(items.order_by("-seq")[: limit + 1])
    has_earlier = len(newest_first) > limit
    return TranscriptPage(
        items=list(reversed(newest_first[:limit])), has_earlier=has_earlier
    )


def items_after(
    *, conversation: Conversation, after_seq: int, limit: int = 500
) -> list[TranscriptItem]:
    """Return up to `limit` items with `seq > after_seq`, oldest first."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    return list(
        TranscriptItem.objects.filter(
            conversation=conversation, seq__gt=after_seq
        ).order_by("seq")[:limit]
    )


def latest_seq(*, conversation: Conversation) -> int:
    """Return the highest stored `seq` of the conversation, 0 when it is empty."""
    seq = (
        TranscriptItem.objects.filter(conversation=conversation)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return seq or 0


def all_transcript_items(*, conversation: Conversation) -> Iterator[TranscriptItem]:
    """Stream every item of the conversation in order, with its run, for exports."""
    return (
        TranscriptItem.objects.filter(conversation=conversation)
        .select_related("run")
        .order_by("seq")
        .iterator(chunk_size=2000)
    )


def latest_seq_of_role(*, conversation: Conversation, role: str) -> int:
    """Return the highest `seq` among the conversation's items of `role`, or 0."""
    seq = (
        TranscriptItem.objects.filter(conversation=conversation, role=role)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return seq or 0


def last_run_ended_at(*, conversation: Conversation) -> datetime | None:
    """When the conversation's most recent upstream connection ended, if it did."""
    return (
        Run.objects.filter(conversation=conversation, ended_at__isnull=False)
        .order_by("-ended_at")
        .values_list("ended_at", flat=True)
        .first()
    )
