"""Which stored reply answers which stored turn, read from the replies' text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TYPED_TAG = re.compile(r"^c(\d+) t(\d+) ")
REPLY = re.compile(r'^Turn (\d+)\. You said "(.*?)"', re.S)
FULL_REPLY = re.compile(r'^Turn (\d+)\. You said "(.*?)"\. You first said "', re.S)


@dataclass
class Answers:
    """Which stored assistant item answers which stored user item."""

    unanswered: list[dict[str, Any]] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    breaks: list[str] = field(default_factory=list)
    answered: set[int] = field(default_factory=set)


def match_answers(items: list[dict[str, Any]]) -> Answers:
    """Pair replies with the turns they answer, as Live answers them: in order.

    A reply quoting a typed turn answers that turn. Any other reply (a spoken
    turn's, or a cut-off one) answers the waiting turn its "Turn k." points at if
    there is one, else the newest waiting turn: a spoken turn is stored right
    before its reply, and a turn whose reply never came must not shift every later
    pairing.
    """
    result = Answers()
    waiting: list[dict[str, Any]] = []
    position: dict[int, int] = {}
    for item in items:
        if item["role"] == "user":
            position[item["seq"]] = len(position) + 1
            waiting.append(item)
        elif item["role"] == "assistant":
            _match_reply(item, waiting, position, result)
    result.unanswered = waiting
    return result


def _match_reply(
    reply: dict[str, Any],
    waiting: list[dict[str, Any]],
    position: dict[int, int],
    result: Answers,
) -> None:
    content = reply["content"]
    quoted = REPLY.match(content)
    said = quoted.group(2) if quoted else None
    if said is not None and TYPED_TAG.match(said):
        target = next((u for u in waiting if u["content"] == said), None)
        if target is None:
            result.doubled.append(
                f"seq {reply['seq']} answers {said!r}, which is answered already "
                "or not stored"
            )
            return
    else:
        said_count = int(quoted.group(1)) if quoted else None
        # A cut-off reply may quote nothing whole: it answers what is waiting.
        same = [u for u in waiting if u["content"] == said] if quoted else waiting
        pointed = [u for u in same if position[u["seq"]] == said_count]
        target = (pointed or same[-1:] or [None])[0]
        if target is None:
            result.doubled.append(
                f"seq {reply['seq']} {content[:50]!r} answers no waiting turn"
            )
            return
    waiting.remove(target)
    result.answered.add(target["seq"])
    full = FULL_REPLY.match(content)
    if full and not reply.get("interrupted"):
        said_count, stored_count = int(full.group(1)), position[target["seq"]]
        if said_count != stored_count:
            result.breaks.append(
                f"seq {reply['seq']} says Turn {said_count} answering seq "
                f"{target['seq']} {target['content']!r}, the stored user turn "
                f"#{stored_count}"
            )
