"""The continuity soak, short: conversations through a storm of faults lose nothing.

``python -m tests.bench.soak`` is the long run; both judge by the same rules (the
stored transcripts against what the pages sent and the emulator's ground truth),
and on failure the assertion message is the soak's full report.
"""

from __future__ import annotations

import os

import pytest

from tests.bench.soak import SoakOptions, match_answers, run_soak

needs_postgres_and_redis = pytest.mark.skipif(
    not os.environ.get("REDIS_URL")
    or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="two workers share PostgreSQL and reach each other through Redis",
)


def said(n: int, text: str) -> str:
    return f'Turn {n}. You said "{text}". You first said "c1 t0 hi".'


def user(seq: int, text: str) -> dict:
    modality = "audio" if text.startswith("spoken") else "text"
    return {"seq": seq, "role": "user", "modality": modality, "content": text}


def reply(seq: int, content: str, interrupted: bool = False) -> dict:
    return {
        "seq": seq,
        "role": "assistant",
        "modality": "text",
        "content": content,
        "interrupted": interrupted,
    }


FIRST = [user(1, "c1 t0 hi"), reply(2, said(1, "c1 t0 hi"))]


@pytest.mark.parametrize(
    ("items", "unanswered", "doubled", "breaks"),
    [
        ([*FIRST, user(3, "spoken 0.6s"), reply(4, said(2, "spoken 0.6s"))], 0, 0, 0),
        ([*FIRST, user(3, "c1 t1 yo"), reply(4, said(1, "c1 t1 yo"))], 0, 0, 1),
        ([*FIRST, user(3, "c1 t1 yo"), reply(4, said(3, "c1 t1 yo"))], 0, 0, 1),
        ([*FIRST, reply(3, said(1, "c1 t0 hi"))], 0, 1, 0),
        ([*FIRST, user(3, "c1 t1 yo")], 1, 0, 0),
        # A spoken turn whose reply never came does not shift later pairings.
        (
            [*FIRST, user(3, "spoken 0.6s"), user(4, "spoken 0.6s")]
            + [reply(5, said(3, "spoken 0.6s"))],
            1,
            0,
            0,
        ),
        # A cut-off reply answers the turn, and has no count to check.
        ([*FIRST, user(3, "c1 t1 yo"), reply(4, "Turn 1. You sa", True)], 0, 0, 0),
    ],
)
def test_replies_are_paired_with_the_turns_they_answer(
    items, unanswered, doubled, breaks
):
    answers = match_answers(items)
    assert len(answers.unanswered) == unanswered
    assert len(answers.doubled) == doubled
    assert len(answers.breaks) == breaks


@pytest.mark.slow
@pytest.mark.same_on_every_backend  # one worker always runs on SQLite
async def test_soak_on_one_worker(tmp_path):
    options = SoakOptions(
        conversations=5,
        turns=8,
        workers=1,
        seed=7,
        turn_timeout_s=15,
        settle_s=30,
        time_limit_s=90,
    )
    result = await run_soak(options, tmp_path)
    assert result.passed, result.text


@needs_postgres_and_redis
@pytest.mark.slow
async def test_soak_on_two_workers_one_killed(tmp_path):
    options = SoakOptions(
        conversations=6,
        turns=8,
        workers=2,
        kill=True,
        seed=11,
        turn_timeout_s=15,
        settle_s=30,
        time_limit_s=100,
    )
    result = await run_soak(options, tmp_path)
    assert result.passed, result.text
