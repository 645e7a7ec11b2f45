"""Reads of conversations and transcripts.

The app's pages read a conversation only for its owner; the reads for the
admin's session inspector and operations page (at the end) are for staff.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import inspector, operations
from .models import Conversation, Run, RunEvent, TranscriptItem

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class TranscriptPage:
    """A window of a transcript, oldest first, and whether more exist each way."""

    items: list[TranscriptItem]
    has_earlier: bool
    has_later: bool = False

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


@dataclass(frozen=True)
class HeldUpstream:
    """A conversation of the user's whose upstream a socket holds (its lease)."""

    conversation_id: int
    holder: str  # the holding socket's channel name


def held_upstreams(
    *, owner_id: int, excluding: int | None = None
) -> list[HeldUpstream]:
    """The user's conversations whose lease is held now, least recently active first.

    The lease says who holds an upstream, on whichever worker: a holder that died
    stops renewing, and its lease lapses.
    """
    rows = (
        Conversation.objects.filter(
            owner_id=owner_id, lease_expires_at__gte=timezone.now()
        )
        .exclude(lease_holder="")
        .order_by("last_activity_at", "pk")
    )
    if excluding is not None:
        rows = rows.exclude(pk=excluding)
    return [
        HeldUpstream(conversation_id=pk, holder=holder)
        for pk, holder in rows.values_list("pk", "lease_holder")
    ]


# -- the admin's session inspector ------------------------------------------------
def _count(queryset: QuerySet) -> Coalesce:
    """A per-conversation count of `queryset` (filtered on OuterRef("pk"))."""
    counted = (
        queryset.order_by().values("conversation").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_run_stats(conversations: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Annotate `run_total`, `restore_total`, `give_up_total`, `last_close_code`,
    `had_error` and `had_restore`: one subquery each, so a page of conversations
    is still one query.
    """
    runs = Run.objects.filter(conversation=OuterRef("pk"))
    restored = runs.filter(began=Run.Began.RESTORED_FROM_TRANSCRIPT)
    return conversations.annotate(
        run_total=_count(runs),
        restore_total=_count(restored),
        give_up_total=_count(
            RunEvent.objects.filter(
                conversation=OuterRef("pk"), kind=RunEvent.Kind.GAVE_UP
            )
        ),
        last_close_code=Subquery(
            runs.filter(ended_at__isnull=False)
            .order_by("-run_id")
            .values("close_code")[:1]
        ),
        had_error=Exists(
            runs.filter(
                Q(end_reason=Run.EndReason.ERROR)
                | Q(close_code=inspector.ERROR_CLOSE_CODE)
            )
        ),
        had_restore=Exists(restored),
    )


def session_records(*, conversation: Conversation, now: datetime) -> inspector.Session:
    """Runs, events and turns (without content) of a conversation: three queries."""
    runs = [
        inspector.RunRecord(*row)
        for row in Run.objects.filter(conversation=conversation)
        .order_by("run_id")
        .values_list(
            "run_id",
            "began",
            "started_at",
            "ended_at",
            "end_reason",
            "close_code",
            "close_reason",
        )
    ]
    events = [
        inspector.EventRecord(at=at, kind=kind, run_id=run_id, data=data or {})
        for at, kind, run_id, data in RunEvent.objects.filter(conversation=conversation)
        .order_by("at", "pk")
        .values_list("at", "kind", "run__run_id", "data")
    ]
    turns = [
        inspector.TurnRecord(*row)
        for row in TranscriptItem.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("seq", "role", "created_at", "run__run_id", "interrupted")
    ]
    return inspector.Session(runs=runs, events=events, turns=turns, now=now)


def transcript_window(
    *,
    conversation: Conversation,
    after_seq: int | None = None,
    before_seq: int | None = None,
    limit: int = 100,
) -> TranscriptPage:
    """`limit` items after `after_seq`, or before `before_seq`, or from the start.

    Keyset pages on `seq`: one indexed query, however deep the page.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    items = TranscriptItem.objects.filter(conversation=conversation).select_related(
        "run"
    )
    if before_seq is not None:
        newest_first = list(
            items.filter(seq__lt=before_seq).order_by("-seq")[: limit + 1]
        )
        return TranscriptPage(
            items=list(reversed(newest_first[:limit])),
            has_earlier=len(newest_first) > limit,
            # Seqs are gap-free, so the counter tells whether later ones exist.
            has_later=before_seq < conversation.next_seq,
        )
    after = after_seq or 0
    page = list(items.filter(seq__gt=after).order_by("seq")[: limit + 1])
    return TranscriptPage(
        items=page[:limit], has_earlier=after > 0, has_later=len(page) > limit
    )


def runs_started_between(
    *, since: datetime, until: datetime
) -> list[operations.StartedRun]:
    """Runs started in [since, until), each with how the run before it ended."""
    previous = Run.objects.filter(
        conversation=OuterRef("conversation"), run_id=OuterRef("run_id") - 1
    )
    gave_up = RunEvent.objects.filter(
        conversation=OuterRef("conversation"),
        kind=RunEvent.Kind.GAVE_UP,
        at__gte=OuterRef("previous_ended_at"),
        at__lte=OuterRef("started_at"),
    )
    rows = (
        Run.objects.filter(started_at__gte=since, started_at__lt=until)
        .annotate(
            previous_ended_at=Subquery(previous.values("ended_at")[:1]),
            previous_end_reason=Subquery(previous.values("end_reason")[:1]),
        )
        .annotate(after_give_up=Exists(gave_up))
        .order_by()
        .values_list(
            "started_at",
            "run_id",
            "began",
            "previous_ended_at",
            "previous_end_reason",
            "after_give_up",
        )
    )
    return [
        operations.StartedRun(
            started_at=started_at,
            run_id=run_id,
            began=began,
            previous_ended_at=previous_ended_at,
            previous_end_reason=previous_end_reason or "",
            after_give_up=after_give_up,
        )
        for (
            started_at,
            run_id,
            began,
            previous_ended_at,
            previous_end_reason,
            after_give_up,
        ) in rows
    ]


def close_codes_between(
    *, since: datetime, until: datetime
) -> list[tuple[int | None, int]]:
    """(close code, how many runs) for runs that ended in [since, until)."""
    return list(
        Run.objects.filter(ended_at__gte=since, ended_at__lt=until)
        .order_by()
        .values("close_code")
        .annotate(n=Count("pk"))
        .values_list("close_code", "n")
    )


def give_ups_between(*, since: datetime, until: datetime) -> list[datetime]:
    """When sessions gave up in [since, until)."""
    return list(
        RunEvent.objects.filter(
            kind=RunEvent.Kind.GAVE_UP, at__gte=since, at__lt=until
        ).values_list("at", flat=True)
    )
