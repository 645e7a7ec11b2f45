"""The workers' environment and the soak's user."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from tests.bench.soak.limits import LEASE_TTL_S, MAX_BACKOFF_MS
from tests.bench.soak.options import SoakOptions

EMAIL, PASSWORD = "soak@example.com", "soak-password-123"
DEFAULT_DATABASE_URL = "postgres://postgres:postgres@127.0.0.1:5432/continuum"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@contextlib.contextmanager
def worker_environment(workers: int) -> Iterator[None]:
    """SQLite and the in-memory layer for one worker; PostgreSQL + Redis for more."""
    saved = {name: os.environ.get(name) for name in ("DATABASE_URL", "REDIS_URL")}
    if workers > 1:
        os.environ["DATABASE_URL"] = saved["DATABASE_URL"] or DEFAULT_DATABASE_URL
        os.environ["REDIS_URL"] = saved["REDIS_URL"] or DEFAULT_REDIS_URL
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def worker_env(options: SoakOptions) -> dict[str, str]:
    return {
        "CONVERSATION_LEASE_TTL_S": str(LEASE_TTL_S),
        "LIVE_MAX_BACKOFF_MS": str(MAX_BACKOFF_MS),
        # The whole conversation seeds a restored session, or "Turn k" would drift.
        "LIVE_SEED_MAX_ITEMS": str(max(200, 6 * options.turns)),
        # One user holds every conversation, each live at once, typing far
        # faster than a person: the per-user limits would refuse the soak itself.
        "CONVERSATION_MAX_LIVE_PER_USER": str(2 * options.conversations),
        "CONVERSATION_TURN_RATE": f"{100 * options.conversations * options.turns}/m",
        # Pages wait long for answers in a storm; none of them is idle.
        "CONVERSATION_IDLE_PAUSE_S": "0",
    }
