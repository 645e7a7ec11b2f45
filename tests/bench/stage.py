"""The stage of the voice and recovery benchmarks: pinned processes and their figures.

The Daphne workers run on one core (taskset), the emulator (a process of its
own) and the load client on the other, so that the worker's CPU is its own.
Workers run under ``tests.bench.probe``, which records their loop lag; with
``profile``, py-spy samples each of them from the load core. Every process
started here is stopped on the way out, whatever ends the benchmark.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.bench.soak.options import SoakOptions
from tests.bench.soak.workers import EMAIL, PASSWORD, worker_env, worker_environment
from tests.harness import (
    ROOT,
    AppServer,
    Worker,
    daphne_args,
    fast_emulator_config,
    free_port,
)

WORKER_CORE = 0
LOAD_CORE = 1
ERROR_LINE = re.compile(r"\bERROR\b|Traceback|Attempt to send on a closed protocol")


def percentile(samples: list[float], share: float) -> float:
    """Nearest-rank percentile; 0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# Read once, before `stage` pins this process to the load core: every process
# started after that inherits one core, so a later look would see only that one.
CORES = frozenset(os.sched_getaffinity(0))


def pin(core: int) -> list[str]:
    """The taskset prefix for one core, or nothing on a one-core machine."""
    return ["taskset", "-c", str(core)] if len(CORES) > 1 else []


class BenchServer(AppServer):
    """An ``AppServer`` whose workers are pinned to one core and report loop lag."""

    def worker_command(self, port: int) -> list[str]:
        probe = ["--lag-file", str(self.lag_file(port)), "--", *daphne_args(port)]
        return [*pin(WORKER_CORE), sys.executable, "-m", "tests.bench.probe", *probe]

    def lag_file(self, port: int) -> Path:
        return self.tmp_dir / f"lag-{port}.txt"


@dataclass
class Stage:
    """What a benchmark runs against: workers, an emulator process, one user."""

    server: BenchServer
    emulator_url: str
    emulator: subprocess.Popen[str]
    workers_env: dict[str, str] = field(default_factory=dict)
    # One client for every call: making one costs tens of ms (its TLS context),
    # which would count in the time a fault takes.
    http: httpx.Client = field(default_factory=httpx.Client)

    @property
    def workers(self) -> list[Worker]:
        return self.server.workers

    def placement(self) -> str:
        """The cores each process may run on, as the kernel has them."""

        def cores(pid: int) -> str:
            return ",".join(str(core) for core in sorted(os.sched_getaffinity(pid)))

        workers = " ".join(cores(worker.process.pid) for worker in self.workers)
        return (
            f"worker(s) on core {workers}, emulator on core {cores(self.emulator.pid)}"
            f", load client on core {cores(0)}"
        )

    def cpu_seconds(self, worker: Worker) -> float:
        """User + system CPU seconds the worker (all its threads) has used."""
        fields = Path(f"/proc/{worker.process.pid}/stat").read_text().rsplit(")", 1)
        values = fields[1].split()
        return (int(values[11]) + int(values[12])) / os.sysconf("SC_CLK_TCK")

    def worker_lag_ms(self, worker: Worker, since: float, until: float) -> list[float]:
        """The worker's loop-lag samples (ms) taken between two ``time.time()``s."""
        path = self.server.lag_file(worker.port)
        samples = []
        with contextlib.suppress(FileNotFoundError):
            for line in path.read_text().splitlines():
                stamp, lag = line.split()
                if since <= float(stamp) <= until:
                    samples.append(float(lag))
        return samples

    def emulator_lag(self, reset: bool = True) -> dict[str, float]:
        """The emulator's own loop lag since the last reset (and reset it)."""
        query = "?reset=1" if reset else ""
        try:
            # An overloaded emulator answers late: that is a figure too.
            response = self.http.get(
                f"{self.emulator_url}/emulator/loop_lag{query}", timeout=60
            )
        except httpx.TimeoutException:
            return {"samples": 0, "p50_ms": 60_000.0, "p99_ms": 60_000.0}
        return response.json()

    def fault(self, fault: dict[str, object]) -> dict[str, object]:
        response = self.http.post(f"{self.emulator_url}/emulator/faults", json=fault)
        response.raise_for_status()
        return response.json()

    def emulator_sessions(self) -> dict[str, Any]:
        """The emulator's ground truth: each Live session's turns and replies."""
        return self.http.get(f"{self.emulator_url}/emulator/sessions").json()

    def logged_errors(self) -> list[str]:
        """Error lines the workers logged (each with its worker's port)."""
        return [
            f":{worker.port} {line.strip()}"
            for worker in self.workers
            for line in worker.log().splitlines()
            if ERROR_LINE.search(line)
        ]

    def login(self, worker: Worker | None = None) -> str:
        return self.server.login(EMAIL, PASSWORD, worker)


def start_emulator(reply_chunk_delay_s: float) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*pin(LOAD_CORE), sys.executable, "-m", "tests.bench.emulator_process"]
        + ["--port", str(free_port()), "--reply-chunk-delay", str(reply_chunk_delay_s)],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening "):
        process.kill()
        raise RuntimeError(f"the emulator did not start: {line!r}")
    return process, line.split()[1]


def start_profiler(worker: Worker, tmp_dir: Path) -> subprocess.Popen[str]:
    """py-spy sampling the worker from the load core (it never stops the worker)."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking"]
        + ["--pid", str(worker.process.pid), "--rate", "200", "--format", "raw"]
        + ["--output", str(tmp_dir / f"profile-{worker.port}.txt")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def stop_process(
    process: subprocess.Popen[str], stop_with: signal.Signals = signal.SIGTERM
) -> None:
    if process.poll() is None:
        process.send_signal(stop_with)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def stage(
    tmp_dir: Path,
    *,
    workers: int,
    users: int,
    turns: int = 3,
    reply_chunk_delay_s: float = 0.02,
    profile: bool = False,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stage]:
    """Start the emulator and ``workers`` pinned workers; stop them all after."""
    if len(CORES) > 1:
        os.sched_setaffinity(0, {LOAD_CORE})
    emulator, url = start_emulator(reply_chunk_delay_s)
    try:
        with worker_environment(workers):
            env = {
                **worker_env(SoakOptions(conversations=users, turns=turns)),
                "LIVE_API_BASE": url,
                **(extra_env or {}),
            }
            server = BenchServer(
                tmp_dir=tmp_dir, extra_env=env, emulator_config=fast_emulator_config()
            )
            profilers: list[subprocess.Popen[str]] = []
            try:
                for _ in range(workers):
                    worker = server.start_worker()
                    if profile:
                        profilers.append(start_profiler(worker, tmp_dir))
                server.create_user(EMAIL, PASSWORD)
                with httpx.Client() as http:
                    yield Stage(server, url, emulator, env, http)
            finally:
                for profiler in profilers:
                    stop_process(profiler, signal.SIGINT)  # it writes on SIGINT
                server.stop()
    finally:
        stop_process(emulator)
