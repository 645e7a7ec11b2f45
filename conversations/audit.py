"""Who read which transcript: every opening by staff is kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import Conversation, TranscriptAccess

if TYPE_CHECKING:
    from accounts.models import User


def record_transcript_access(
    *, staff: User, conversation: Conversation
) -> TranscriptAccess:
    """Note that `staff` opened the conversation's transcript, now."""
    return TranscriptAccess.objects.create(staff=staff, conversation=conversation)
