"""Soak: many conversations through a storm of faults; nothing may be lost.

    .venv/bin/python -m tests.bench.soak [--conversations 50] [--turns 30]
        [--workers 1|2] [--kill | --no-kill] [--seed N] [--log-dir DIR]

Real Daphne workers (``tests.harness.AppServer``) serve simulated pages that
behave as static/js/conversation/live-conversation.js does: hello with the last
seq seen, take the conversation back whenever they come back as a viewer, re-send
every typed turn (with its id) not yet acknowledged each time they own the
conversation again, and speak voice turns as real-time PCM. Faults come every
1-3 s: upstream drops, goAway, 1011 closes, failed token mints, expired handles,
stalls, browser socket cuts and device takeovers. One worker runs on SQLite and
the in-memory channel layer; two run on PostgreSQL and Redis (DATABASE_URL and
REDIS_URL, or local defaults), and one of them is killed mid-run.

The verdict comes from the stored transcripts and the emulator's ground truth:
no turn lost or doubled, every turn answered, every reply's "Turn k." equal to the
stored count (Live kept its context), the final Live session holding exactly the
stored turns, seq gap-free, no give-up, no stale status at a new owner, no page
left hanging (a hello or a takeover never answered), no exception in a worker's
log and no run left open once the pages closed. Prints the figures, the first
details of each defect and ``VERDICT: PASS`` or ``VERDICT: FAIL (...)``; exits 1
on any defect.
"""

from tests.bench.soak.answers import match_answers
from tests.bench.soak.options import SoakOptions
from tests.bench.soak.report import SoakResult
from tests.bench.soak.run import run_soak

__all__ = ["SoakOptions", "SoakResult", "match_answers", "run_soak"]
