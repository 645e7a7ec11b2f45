"""A conversation's runs and run events as JSON, for support to pass on.

Metadata only: no transcript content, no system instruction, and never the
resumption handle (only whether one is stored).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .inspector import Session
from .models import Conversation


def _when(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def conversation_diagnostics(
    conversation: Conversation, session: Session
) -> dict[str, Any]:
    """The conversation, its runs and its run events as a JSON-ready dict."""
    return {
        "conversation": {
            "id": str(conversation.public_id),
            "owner": conversation.owner.email,
            "title": conversation.title,
            "mode": conversation.mode,
            "model": conversation.model,
            "state": conversation.state,
            "created_at": _when(conversation.created_at),
            "last_activity_at": _when(conversation.last_activity_at),
            "items": conversation.next_seq - 1,
            "has_resumption_handle": bool(conversation.resumption_handle),
            "resumption_handle_issued_at": _when(
                conversation.resumption_handle_issued_at
            ),
            "handle_covered_seq": conversation.handle_covered_seq,
        },
        "runs": [
            {
                "run_id": run.run_id,
                "began": run.began,
                "started_at": _when(run.started_at),
                "ended_at": _when(run.ended_at),
                "end_reason": run.end_reason,
                "close_code": run.close_code,
                "close_reason": run.close_reason,
            }
            for run in session.runs
        ],
        "events": [
            {
                "at": _when(event.at),
                "run_id": event.run_id,
                "kind": event.kind,
                "data": dict(event.data),
            }
            for event in session.events
        ],
    }
