"""Every write to conversations, runs and transcript items goes through here.

Counters (`seq`, `run_id`) are advanced while the conversation row is locked,
so concurrent writers on several workers still produce gap-free sequences.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import fanout, leases, selectors
from .models import Conversation, Run, RunEvent, TranscriptItem

if TYPE_CHECKING:
    from accounts.models import User

TITLE_MAX_LENGTH = Conversation._meta.get_field("title").max_length or 200
CLOSE_REASON_MAX_LENGTH = Run._meta.get_field("close_reason").max_length or 255


class Claim(StrEnum):
    """What became of a socket's claim on its conversation's upstream."""

    TAKEN = "taken"
    HELD_ELSEWHERE = "held_elsewhere"  # another socket holds the lease
    OVER_LIMIT = "over_limit"  # the owner already holds as many as allowed


class RunIdConflict(ValueError):
    """A caller asked for a run_id other than the next one of the conversation."""


def _clean_title(title: str) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ValidationError({"title": "A title is required."})
    cleaned = " ".join(title.split())
    if len(cleaned) > TITLE_MAX_LENGTH:
        raise ValidationError(
            {"title": f"A title has at most {TITLE_MAX_LENGTH} characters."}
        )
    return cleaned


def _require_choice(field: str, value: str, choices: list[str]) -> str:
    if value not in choices:
        raise ValidationError(
            {field: f"{value!r} is not one of: {', '.join(sorted(choices))}."}
        )
    return value


def _lock(conversation: Conversation) -> Conversation:
    """Return a fresh copy of the conversation row, locked until commit."""
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


@transaction.atomic
def create_conversation(
    *,
    owner: User,
    title: str,
    mode: str,
    system_instruction: str = "",
    model: str | None = None,
) -> Conversation:
    """Create a conversation of `owner` with `model` (default: LIVE_MODEL)."""
    conversation = Conversation(
        owner=owner,
        title=_clean_title(title),
        mode=_require_choice("mode", mode, Conversation.Mode.values),
        system_instruction=(system_instruction or "").strip(),
        model=model or settings.LIVE_MODEL,
    )
    conversation.full_clean()
    conversation.save()
    return conversation


@transaction.atomic
def rename_conversation(*, conversation: Conversation, title: str) -> Conversation:
    """Give the conversation a new title."""
    conversation.title = _clean_title(title)
    conversation.save(update_fields=["title", "updated_at"])
    return conversation


@transaction.atomic
def delete_conversation(*, conversation: Conversation) -> None:
    """Delete the conversation with its runs and transcript.

    Once the deletion is committed, its open sockets on every worker are told
    (and close), whoever deleted it: the page, the admin, a script.
    """
    public_id = conversation.public_id
    conversation.delete()
    transaction.on_commit(lambda: fanout.announce_deletion(public_id))


@transaction.atomic
def start_run(
    *, conversation: Conversation, began: str, run_id: int | None = None
) -> Run:
    """Open the next run of the conversation (0 for its first upstream connection).

    When `run_id` is given it must be the next one; otherwise `RunIdConflict`
    is raised, which tells a caller that another worker started a run first.
    """
    _require_choice("began", began, list(Run.Began))
    locked = _lock(conversation)
    next_run_id = locked.next_run_id
    if run_id is not None and run_id != next_run_id:
        raise RunIdConflict(
            f"run_id {run_id} requested but the next run of this conversation "
            f"is {next_run_id}."
        )
    run = Run.objects.create(conversation=locked, run_id=next_run_id, began=began)
    fields: dict[str, object] = {"next_run_id": next_run_id + 1}
    if began != Run.Began.RESUMED_WITH_HANDLE:
        # A new Live session: the stored handle belongs to one this run left.
        fields.update(resumption_handle="", resumption_handle_issued_at=None)
    Conversation.objects.filter(pk=locked.pk).update(**fields)
    return run


@transaction.atomic
def finish_run(
    *,
    run: Run,
    end_reason: str,
    close_code: int | None = None,
    close_reason: str = "",
) -> Run:
    """Mark the run as ended; a run that already ended is returned unchanged."""
    _require_choice("end_reason", end_reason, list(Run.EndReason))
    if close_code is not None and not 0 <= close_code <= 65535:
        raise ValidationError({"close_code": f"{close_code} is not a close code."})
    locked = Run.objects.select_for_update().get(pk=run.pk)
    if locked.ended_at is None:
        locked.ended_at = timezone.now()
        locked.end_reason = end_reason
        locked.close_code = close_code
        locked.close_reason = (close_reason or "")[:CLOSE_REASON_MAX_LENGTH]
        locked.save(
            update_fields=["ended_at", "end_reason", "close_code", "close_reason"]
        )
    for field in ("ended_at", "end_reason", "close_code", "close_reason"):
        setattr(run, field, getattr(locked, field))
    return run


@transaction.atomic
def record_transcript_item(
    *,
    conversation: Conversation,
    role: str,
    modality: str,
    content: str,
    run: Run | None = None,
    interrupted: bool = False,
    client_turn_id: str = "",
) -> TranscriptItem:
    """Store one finished turn under the next gap-free `seq` of the conversation."""
    _require_choice("role", role, TranscriptItem.Role.values)
    _require_choice("modality", modality, TranscriptItem.Modality.values)
    if not isinstance(content, str):
        raise ValidationError({"content": "Content must be text."})
    if run is not None and run.conversation_id != conversation.pk:
        raise ValidationError({"run": "The run belongs to another conversation."})
    locked = _lock(conversation)
    seq = locked.next_seq
    now = timezone.now()
    item = TranscriptItem.objects.create(
        conversation=locked,
        run=run,
        seq=seq,
        role=role,
        modality=modality,
        content=content,
        interrupted=interrupted,
        client_turn_id=client_turn_id,
    )
    Conversation.objects.filter(pk=locked.pk).update(
        next_seq=seq + 1, last_activity_at=now, updated_at=now
    )
    return item


def record_typed_turn(
    *,
    conversation: Conversation,
    content: str,
    client_turn_id: str = "",
    run: Run | None = None,
) -> tuple[TranscriptItem, bool]:
    """Store a typed user turn once; returns the item and whether it is new.

    A turn whose `client_turn_id` the conversation already holds (the page sent
    it again after a reconnect) is returned as stored, and nothing is written.
    """
    try:
        with transaction.atomic():
            if client_turn_id:
                _lock(conversation)
                existing = _typed_turn(conversation, client_turn_id)
                if existing is not None:
                    return existing, False
            item = record_transcript_item(
                conversation=conversation,
                role=TranscriptItem.Role.USER,
                modality=TranscriptItem.Modality.TEXT,
                content=content,
                run=run,
                client_turn_id=client_turn_id,
            )
            return item, True
    except IntegrityError:
        # Another socket stored the same id first (SQLite takes no row locks).
        existing = _typed_turn(conversation, client_turn_id)
        if client_turn_id and existing is not None:
            return existing, False
        raise


def _typed_turn(
    conversation: Conversation, client_turn_id: str
) -> TranscriptItem | None:
    return TranscriptItem.objects.filter(
        conversation=conversation, client_turn_id=client_turn_id
    ).first()


@transaction.atomic
def store_resumption_handle(
    *,
    conversation: Conversation,
    handle: str,
    issued_at: datetime,
    covered_seq: int | None = None,
    run_id: int | None = None,
) -> bool:
    """Keep `handle` as the newest resumption handle (server-side only).

    `covered_seq` is the highest transcript seq whose turn the handle's context
    holds (stored as `handle_covered_seq`); a resume from the database uses it
    to tell whether the handle is missing turns that the transcript has.
    A handle from run `run_id` is ignored once a newer run exists; returns
    whether the handle was stored.
    """
    if not isinstance(handle, str) or not handle:
        raise ValidationError({"handle": "A resumption handle must be non-empty."})
    if timezone.is_naive(issued_at):
        raise ValidationError({"issued_at": "issued_at must be timezone-aware."})
    if covered_seq is not None and covered_seq < 0:
        raise ValidationError({"covered_seq": "covered_seq cannot be negative."})
    fields = {
        "resumption_handle": handle,
        "resumption_handle_issued_at": issued_at,
        "updated_at": timezone.now(),
    }
    if covered_seq is not None:
        fields["handle_covered_seq"] = covered_seq
    return bool(_current_run(conversation, run_id).update(**fields))


@transaction.atomic
def clear_resumption_handle(*, conversation: Conversation) -> None:
    """Forget the conversation's resumption handle (refused or expired)."""
    Conversation.objects.filter(pk=conversation.pk).update(
        resumption_handle="",
        resumption_handle_issued_at=None,
        updated_at=timezone.now(),
    )


@transaction.atomic
def set_conversation_state(
    *, conversation: Conversation, state: str, run_id: int | None = None
) -> bool:
    """Record whether the conversation is idle or active; returns whether written.

    The state that run `run_id` reports is ignored once a newer run exists: an
    older run's last words must not overwrite what the newer one said.
    """
    _require_choice("state", state, Conversation.State.values)
    return bool(
        _current_run(conversation, run_id).update(
            state=state, updated_at=timezone.now()
        )
    )


def _current_run(conversation: Conversation, run_id: int | None) -> QuerySet:
    """The conversation's row, unless a run newer than `run_id` was started."""
    rows = Conversation.objects.filter(pk=conversation.pk)
    if run_id is not None:
        rows = rows.filter(next_run_id__lte=run_id + 1)
    return rows


@transaction.atomic
def close_abandoned_runs(*, conversation: Conversation) -> int:
    """End the runs a vanished worker left open; returns how many there were.

    Only the lease holder calls this, so no open run can still be in use.
    """
    return Run.objects.filter(conversation=conversation, ended_at__isnull=True).update(
        ended_at=timezone.now(),
        end_reason=Run.EndReason.WORKER_LOST,
        close_reason="The worker holding this connection stopped without closing it.",
    )


@dataclass(frozen=True)
class ResumePlan:
    """How to continue a conversation: the handle to resume with, if any."""

    conversation: Conversation
    handle: str | None
    handle_issued_at: datetime | None
    unanswered: list[TranscriptItem]  # typed turns to send again
    latest_seq: int


@transaction.atomic
def begin_resume(*, conversation_id: int) -> ResumePlan:
    """Close the runs a vanished worker left open, then decide how to continue.

    Only the lease holder calls this. The stored handle covers the transcript up
    to `handle_covered_seq`. A turn stored after that and already answered means
    the handle misses context the transcript has (its owner died before a newer
    handle was saved): then the transcript, not the handle, restores the session.
    Typed turns after the last answer were never answered and are sent again.
    """
    conversation = Conversation.objects.get(pk=conversation_id)
    close_abandoned_runs(conversation=conversation)
    last_answer = selectors.latest_seq_of_role(
        conversation=conversation, role=str(TranscriptItem.Role.ASSISTANT)
    )
    unanswered = [
        item
        for item in selectors.items_after(
            conversation=conversation, after_seq=last_answer
        )
        if item.role == TranscriptItem.Role.USER
        and item.modality == TranscriptItem.Modality.TEXT
    ]
    handle = conversation.resumption_handle or None
    if handle and last_answer > conversation.handle_covered_seq:
        handle = None
    # Live keeps a handle for two hours after the session's last connection
    # ended, so its age counts from whichever came later.
    valid_from = conversation.resumption_handle_issued_at
    last_ended = selectors.last_run_ended_at(conversation=conversation)
    if handle and valid_from and last_ended and last_ended > valid_from:
        valid_from = last_ended
    return ResumePlan(
        conversation=conversation,
        handle=handle,
        handle_issued_at=valid_from if handle else None,
        unanswered=unanswered,
        latest_seq=conversation.next_seq - 1,
    )


@dataclass(frozen=True)
class RunEventRecord:
    """One event for the session inspector; `run_id` is the run's number or None."""

    run_id: int | None
    at: datetime
    kind: str
    data: dict[str, Any]


@transaction.atomic
def record_run_events(
    *, conversation_id: int, events: Sequence[RunEventRecord]
) -> list[RunEvent]:
    """Store a batch of run events in one insert (a conversation deleted: nothing)."""
    run_ids = {event.run_id for event in events if event.run_id is not None}
    runs = dict(
        Run.objects.filter(
            conversation_id=conversation_id, run_id__in=run_ids
        ).values_list("run_id", "pk")
    )
    if not Conversation.objects.filter(pk=conversation_id).exists():
        return []
    return RunEvent.objects.bulk_create(
        RunEvent(
            conversation_id=conversation_id,
            run_id=runs.get(event.run_id) if event.run_id is not None else None,
            at=event.at,
            kind=_require_choice("kind", event.kind, list(RunEvent.Kind)),
            data=event.data,
        )
        for event in events
    )


@transaction.atomic
def claim_upstream(
    *, owner_id: int, conversation_id: int, holder: str, ttl_s: float, limit: int
) -> Claim:
    """Take the conversation's lease unless its owner holds `limit` others already.

    The owner's row stays locked from the count to the lease, so sockets racing
    on several workers cannot all pass the count together.
    """
    list(get_user_model().objects.select_for_update().filter(pk=owner_id).values("pk"))
    held = selectors.held_upstreams(owner_id=owner_id, excluding=conversation_id)
    if len(held) >= limit:
        return Claim.OVER_LIMIT
    taken = leases.acquire_lease(
        conversation_id=conversation_id, holder=holder, ttl_s=ttl_s
    )
    return Claim.TAKEN if taken else Claim.HELD_ELSEWHERE


def end_conversation_for_owner(*, conversation: Conversation) -> None:
    """End the conversation's live session; its page is told and does not reconnect."""
    fanout.tell_sockets(conversation.public_id, "conversation.end")


@transaction.atomic
def expire_resumption_handle(*, conversation: Conversation) -> None:
    """Forget the conversation's handle: its next resume rebuilds from the transcript.

    A live session forgets its own copy too.
    """
    clear_resumption_handle(conversation=conversation)
    public_id = conversation.public_id
    transaction.on_commit(
        lambda: fanout.tell_sockets(public_id, "conversation.forget_handle")
    )
