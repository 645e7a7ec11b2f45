"""The command line: options in, the report out, exit 1 on any defect."""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
from pathlib import Path

from tests.bench import soak as package
from tests.bench.soak.options import SoakOptions
from tests.bench.soak.run import run_soak


def parse_options(argv: list[str] | None = None) -> tuple[SoakOptions, Path | None]:
    """The soak's options, and where to keep the worker logs (if anywhere)."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.soak",
        description=(package.__doc__ or "").splitlines()[0],
    )
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--workers", type=int, choices=(1, 2), default=1)
    parser.add_argument(
        "--kill",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="SIGKILL one worker mid-run (default: on with two workers)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="of the random order (default: any)"
    )
    parser.add_argument(
        "--turn-timeout",
        type=float,
        default=60.0,
        help="seconds a page waits for an answer before the next turn",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=90.0,
        help="seconds to wait for every answer once the turns are done",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=900.0,
        help="seconds the turns may take in all",
    )
    parser.add_argument(
        "--log-dir",
        type=Path,
        default=None,
        help="keep the worker logs, the stored records, the emulator's ground "
        "truth (and the SQLite database) here",
    )
    args = parser.parse_args(argv)
    options = SoakOptions(
        conversations=args.conversations,
        turns=args.turns,
        workers=args.workers,
        kill=args.kill,
        seed=args.seed if args.seed is not None else random.randrange(10**6),
        turn_timeout_s=args.turn_timeout,
        settle_s=args.settle,
        time_limit_s=args.time_limit,
        progress=True,
    )
    return options, args.log_dir


def main(argv: list[str] | None = None) -> int:
    options, log_dir = parse_options(argv)
    print(f"soak: seed {options.seed}", flush=True)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(run_soak(options, log_dir))
    else:
        with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
            result = asyncio.run(run_soak(options, Path(tmp)))
    print(result.text)
    return 0 if result.passed else 1
