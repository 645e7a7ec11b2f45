"""Render a stored conversation as Markdown or JSON for download."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import Conversation, TranscriptItem

ROLE_HEADINGS = {
    TranscriptItem.Role.USER: "You",
    TranscriptItem.Role.ASSISTANT: "Assistant",
    TranscriptItem.Role.SYSTEM: "System",
    TranscriptItem.Role.TOOL: "Tool",
}


def _conversation_fields(conversation: Conversation) -> dict[str, Any]:
    # The resumption handle is deliberately absent: it never leaves the server.
    return {
        "id": str(conversation.public_id),
        "title": conversation.title,
        "mode": conversation.mode,
        "model": conversation.model,
        "system_instruction": conversation.system_instruction,
        "state": conversation.state,
        "created_at": conversation.created_at.isoformat(),
        "last_activity_at": conversation.last_activity_at.isoformat(),
    }


def item_as_dict(item: TranscriptItem) -> dict[str, Any]:
    """A stored item as its owner sees it, in exports and on the socket."""
    return {
        "seq": item.seq,
        "id": item.client_turn_id or None,
        "role": item.role,
        "modality": item.modality,
        "content": item.content,
        "interrupted": item.interrupted,
        "created_at": item.created_at.isoformat(),
    }


def _item_fields(item: TranscriptItem) -> dict[str, Any]:
    run_id = item.run.run_id if item.run is not None else None
    return {**item_as_dict(item), "run_id": run_id}


def conversation_as_json(
    conversation: Conversation, items: Iterable[TranscriptItem]
) -> dict[str, Any]:
    """Return the conversation and its items as a JSON-ready dict."""
    return {
        "conversation": _conversation_fields(conversation),
        "items": [_item_fields(item) for item in items],
    }


def conversation_as_markdown(
    conversation: Conversation, items: Iterable[TranscriptItem]
) -> str:
    """Return the conversation as a Markdown document, one section per item."""
    lines = [
        f"# {conversation.title}",
        "",
        f"- Mode: {conversation.get_mode_display()}",
        f"- Model: {conversation.model}",
        f"- Started: {conversation.created_at:%Y-%m-%d %H:%M} UTC",
        "",
    ]
    if conversation.system_instruction:
        lines += ["## System instruction", "", conversation.system_instruction, ""]
    lines += ["## Transcript", ""]
    empty = True
    for item in items:
        empty = False
        heading = ROLE_HEADINGS.get(item.role, item.role.title())
        suffix = " (interrupted)" if item.interrupted else ""
        lines += [
            f"### {item.seq}. {heading}{suffix} · {item.created_at:%Y-%m-%d %H:%M:%S}",
            "",
            item.content,
            "",
        ]
    if empty:
        lines += ["_No messages yet._", ""]
    return "\n".join(lines)
