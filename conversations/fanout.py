"""The channel-layer groups sockets listen on: one per conversation, one per user."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def conversation_group(public_id: UUID) -> str:
    return f"conversation.{public_id.hex}"


def user_group(user_id: int) -> str:
    """Every conversation socket of the user, on any worker, viewer or owner."""
    return f"user.{user_id}"


def announce_deletion(public_id: UUID) -> None:
    """Tell the conversation's open sockets, on any worker, that it is gone."""
    tell_sockets(public_id, "conversation.deleted")


def tell_sockets(public_id: UUID, message_type: str) -> None:
    """Send a message to every socket of the conversation, on any worker."""
    _group_send(conversation_group(public_id), {"type": message_type})


def tell_user_sockets(user_id: int, message_type: str, **payload: Any) -> None:
    """Send a message to every conversation socket of the user, on any worker."""
    _group_send(user_group(user_id), {"type": message_type, **payload})


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)
