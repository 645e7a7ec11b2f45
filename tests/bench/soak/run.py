"""One soak end to end: start the workers, run the pages, read the records, judge."""

from __future__ import annotations

import asyncio
import json
import random
import time
from pathlib import Path

from tests.bench.soak.options import SoakOptions
from tests.bench.soak.page import Page
from tests.bench.soak.phases import Soak
from tests.bench.soak.records import final_records
from tests.bench.soak.report import SoakResult, build_result
from tests.bench.soak.workers import EMAIL, PASSWORD, worker_env, worker_environment
from tests.harness import AppServer, fast_emulator_config


async def run_soak(options: SoakOptions, tmp_dir: Path) -> SoakResult:
    seed = options.seed if options.seed is not None else random.randrange(10**6)
    with worker_environment(options.workers):
        server = AppServer(
            tmp_dir=tmp_dir,
            extra_env=worker_env(options),
            emulator_config=fast_emulator_config(),
        )
        try:
            return await _soak(server, options, seed, tmp_dir)
        finally:
            server.stop()


async def _soak(
    server: AppServer, options: SoakOptions, seed: int, tmp_dir: Path
) -> SoakResult:
    for _ in range(options.workers):
        server.start_worker()
    server.create_user(EMAIL, PASSWORD)
    soak = Soak(server, options, seed)
    modes = [
        "voice"
        if options.voice_every and (n + 1) % options.voice_every == 0
        else "text"
        for n in range(options.conversations)
    ]
    ids = server.create_conversations(EMAIL, modes)
    soak.pages = [Page(soak, n, ids[n], mode) for n, mode in enumerate(modes)]
    for worker in server.workers:
        soak.cookie(worker)
    soak.started = time.monotonic()
    await soak.run()
    duration = soak.elapsed()
    records = await final_records(server, ids)
    truth = await asyncio.to_thread(server.emulator_sessions)
    # What the verdict was drawn from, beside the worker logs, for debugging.
    (tmp_dir / "soak-records.json").write_text(json.dumps(records, indent=1))
    (tmp_dir / "soak-emulator.json").write_text(json.dumps(truth, indent=1))
    return build_result(soak, records, truth, duration)
