"""The defect checks of one conversation: its stored items against its page."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.bench.soak.answers import TYPED_TAG, match_answers

if TYPE_CHECKING:
    from tests.bench.soak.page import Page


def sessions_of(truth: dict[str, Any]) -> tuple[dict[int, list[dict]], list[str]]:
    """Live sessions per conversation index (by the typed texts they hold)."""
    owned: dict[int, list[dict]] = defaultdict(list)
    mixed = []
    for session in truth["sessions"]:
        owners = {
            int(match.group(1))
            for text in session["user_turns"]
            if (match := TYPED_TAG.match(text))
        }
        if len(owners) > 1:
            mixed.append(f"Live session {session['id']} holds turns of {owners}")
        for owner in owners:
            owned[owner].append(session)
    return owned, mixed


@dataclass
class ConversationCheck:
    defects: dict[str, list[str]]
    typed_stored: int = 0
    typed_answered: int = 0
    spoken_stored: int = 0
    spoken_answered: int = 0


def check_conversation(
    page: Page, record: dict[str, Any], sessions: list[dict]
) -> ConversationCheck:
    items: list[dict[str, Any]] = record["items"]
    defects: dict[str, list[str]] = defaultdict(list)
    label = page.label
    seqs = [item["seq"] for item in items]
    if seqs != list(range(1, len(items) + 1)):
        defects["seq"].append(f"{label}: seqs {_gaps(seqs)}")
    users = [item for item in items if item["role"] == "user"]
    answers = match_answers(items)
    for why in answers.doubled:
        defects["doubled"].append(f"{label}: {why}")
    for why in answers.breaks:
        defects["context_break"].append(f"{label}: {why}")
    for item in answers.unanswered:
        defects["unanswered"].append(
            f"{label}: seq {item['seq']} {item['content']!r} has no reply"
        )
    _check_typed(page, users, defects)
    _check_spoken(page, users, defects)
    _check_final_session(page, users, sessions, defects)
    typed = [u for u in users if TYPED_TAG.match(u["content"])]
    spoken = [u for u in users if u["modality"] == "audio"]
    return ConversationCheck(
        defects=defects,
        typed_stored=len(typed),
        typed_answered=sum(u["seq"] in answers.answered for u in typed),
        spoken_stored=len(spoken),
        spoken_answered=sum(u["seq"] in answers.answered for u in spoken),
    )


def _check_typed(
    page: Page, users: list[dict[str, Any]], defects: dict[str, list[str]]
) -> None:
    stored = Counter(u["content"] for u in users)
    seqs: dict[str, list[int]] = defaultdict(list)
    for user in users:
        seqs[user["content"]].append(user["seq"])
    for turn in page.typed.turns:
        if turn.sends == 0:
            defects["unsent"].append(
                f"{page.label}: {turn.text!r} was never sent (the page never owned "
                "the conversation again)"
            )
        elif stored[turn.text] == 0:
            defects["lost"].append(
                f"{page.label}: typed {turn.text!r} (id {turn.turn_id}, sent "
                f"{turn.sends}x) is not stored"
            )
        elif stored[turn.text] > 1:
            defects["doubled"].append(
                f"{page.label}: typed {turn.text!r} stored {stored[turn.text]}x at "
                f"seq {seqs[turn.text]} (sent {turn.sends}x)"
            )


def _check_spoken(
    page: Page, users: list[dict[str, Any]], defects: dict[str, list[str]]
) -> None:
    utterances = page.voice.utterances
    stored = sum(u["modality"] == "audio" for u in users)
    attempts = sum(u.attempts for u in utterances)
    # Every utterance heard, or spoken whole on a socket that stayed up, must be
    # stored; a cut one was said again until heard.
    needed = [u for u in utterances if u.heard or u.spoken_whole]
    unheard = [u for u in needed if not u.heard]
    missing = max(0, len(needed) - stored)
    for utterance in unheard[:missing]:
        defects["lost"].append(
            f"{page.label}: the utterance of turn {utterance.turn}, spoken whole on "
            f"a socket that stayed up ({utterance.attempts} attempts), is not stored"
        )
    for _ in range(missing - len(unheard[:missing])):
        defects["lost"].append(
            f"{page.label}: {len(needed)} utterances needed storing, {stored} stored"
        )
    if stored > attempts:
        defects["doubled"].append(
            f"{page.label}: {stored} spoken items stored for {attempts} attempts"
        )


def _check_final_session(
    page: Page,
    users: list[dict[str, Any]],
    sessions: list[dict],
    defects: dict[str, list[str]],
) -> None:
    stored = [u["content"] for u in users]
    if not sessions:
        if stored:
            defects["final_session"].append(f"{page.label}: no Live session found")
        return
    final = sessions[-1]
    if final["user_turns"] == stored:
        return
    defects["final_session"].append(
        f"{page.label}: Live session {final['id']} holds {len(final['user_turns'])} "
        f"user turns, {len(stored)} stored; first difference: "
        f"{_first_difference(final['user_turns'], stored)}"
    )


def _first_difference(live: list[str], stored: list[str]) -> str:
    for index, (a, b) in enumerate(zip(live, stored, strict=False)):
        if a != b:
            return f"#{index + 1}: Live {a!r}, stored {b!r}"
    shorter = min(len(live), len(stored))
    name, longer = ("Live", live) if len(live) > len(stored) else ("stored", stored)
    return f"#{shorter + 1}: only {name} goes on, with {longer[shorter]!r}"


def _gaps(seqs: list[int]) -> str:
    duplicates = sorted(s for s, n in Counter(seqs).items() if n > 1)
    missing = sorted(set(range(1, max(seqs, default=0) + 1)) - set(seqs))
    return f"missing {missing[:10]}, duplicated {duplicates[:10]}"
