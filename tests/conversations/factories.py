"""Small builders for conversation test data, written through the services."""

from __future__ import annotations

from conversations import services
from conversations.models import Conversation, TranscriptItem


def make_conversation(owner, title: str = "Trip planning", mode: str = "text"):
    return services.create_conversation(owner=owner, title=title, mode=mode)


def bulk_items(conversation: Conversation, count: int) -> None:
    """Insert `count` items fast (bypassing services) and keep the counters right."""
    roles = [TranscriptItem.Role.USER, TranscriptItem.Role.ASSISTANT]
    TranscriptItem.objects.bulk_create(
        [
            TranscriptItem(
                conversation=conversation,
                seq=seq,
                role=roles[seq % 2],
                modality=TranscriptItem.Modality.TEXT,
                content=f"message {seq}",
            )
            for seq in range(1, count + 1)
        ],
        batch_size=2000,
    )
    Conversation.objects.filter(pk=conversation.pk).update(next_seq=count + 1)
    conversation.next_seq = count + 1
