"""Every defect of a run: the pages' tallies, the worker logs and each conversation."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from tests.bench.soak.checks import ConversationCheck, check_conversation, sessions_of
from tests.bench.soak.limits import RUNS_CLOSE_S
from tests.bench.soak.records import open_runs
from tests.harness import AppServer

if TYPE_CHECKING:
    from tests.bench.soak.phases import Soak

DEFECT_KINDS = (
    "lost",
    "doubled",
    "unanswered",
    "context_break",
    "final_session",
    "seq",
    "give_up",
    "stale_status",
    "stuck",
    "unsent",
    "open_run",
    "server_error",
    "time_limit",
)


def find_defects(
    soak: Soak, records: dict[str, dict], truth: dict[str, Any]
) -> tuple[dict[str, list[str]], list[ConversationCheck]]:
    """The defects by kind (in DEFECT_KINDS order), and each conversation's check."""
    owned, mixed = sessions_of(truth)
    defects: dict[str, list[str]] = {kind: [] for kind in DEFECT_KINDS}
    defects["final_session"] += mixed
    defects["give_up"] += soak.tally.give_ups
    defects["stale_status"] += soak.tally.stale_statuses
    defects["stuck"] += soak.tally.stuck
    defects["server_error"] += [
        f"{count}x {line}" for line, count in _worker_errors(soak.server).most_common()
    ]
    labels = {page.public_id: page.label for page in soak.pages}
    defects["open_run"] += [
        f"{labels.get(public_id, public_id)}: run {run_id} still open "
        f"{RUNS_CLOSE_S}s after the last socket closed"
        for public_id, run_id in open_runs(records)
    ]
    if soak.timed_out:
        defects["time_limit"].append(
            f"the turns did not finish within {soak.options.time_limit_s:g}s"
        )
    checks = []
    for page in soak.pages:
        record = records.get(page.public_id, {"items": [], "runs": []})
        check = check_conversation(page, record, owned.get(page.index, []))
        checks.append(check)
        for kind, found in check.defects.items():
            defects[kind] += found
    return defects, checks


def _worker_errors(server: AppServer) -> Counter[str]:
    """The last line of every traceback in the workers' logs, by count."""
    found: Counter[str] = Counter()
    for worker in server.workers:
        for line in worker.log().splitlines():
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Full)\b", line):
                found[line[:160]] += 1
    return found
