"""The channel-layer group every open socket of a conversation listens on."""

from __future__ import annotations

from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def conversation_group(public_id: UUID) -> str:
    return f"conversation.{public_id.hex}"


def announce_deletion(public_id: UUID) -> None:
    """Tell the conversation's open sockets, on any worker, that it is gone."""
    tell_sockets(public_id, "conversation.deleted")


def tell_sockets(public_id: UUID, message_type: str) -> None:
    """Send a message to every socket of the conversation, on any worker."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            conversation_group(public_id), {"type": message_type}
        )
