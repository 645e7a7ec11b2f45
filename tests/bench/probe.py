"""A Daphne worker that also reports its event-loop lag (and, on request, a profile).

    python -m tests.bench.probe --lag-file F [--profile-file P] -- <daphne args>

Every 10 ms the worker's loop is asked to wake; how late it wakes is appended to
the lag file once a second as ``<unix time> <lag ms>`` lines, so a benchmark can
take the samples of any time window. With ``--profile-file`` a thread samples
every thread's stack every 5 ms and writes the most frequent functions (own time
and with callees) when the worker stops.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import collections
import sys
import threading
import time
from pathlib import Path

LAG_INTERVAL_S = 0.01
PROFILE_INTERVAL_S = 0.005


async def sample_lag(path: Path) -> None:
    pending: list[str] = []
    flushed = time.monotonic()
    with path.open("a") as out:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(LAG_INTERVAL_S)
            lag = max(0.0, time.perf_counter() - asked - LAG_INTERVAL_S)
            pending.append(f"{time.time():.3f} {lag * 1000:.2f}\n")
            if time.monotonic() - flushed >= 1:
                out.writelines(pending)
                out.flush()
                pending.clear()
                flushed = time.monotonic()


class StackSampler:
    """A CPU-time sampling profiler of every thread but its own.

    Every ``PROFILE_INTERVAL_S`` it reads each thread's CPU clock and charges the
    CPU time used since the last look to the function the thread is in now (own
    time) and to its callers (with callees): a thread waiting for the CPU or for
    a system call is charged nothing, however long it waits.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.own: collections.Counter[str] = collections.Counter()
        self.inclusive: collections.Counter[str] = collections.Counter()
        self.cpu_s = 0.0
        self._clocks: dict[int, tuple[int, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        atexit.register(self.write)

    def _cpu_since_last_look(self, ident: int) -> float:
        try:
            clock = self._clocks[ident][0]
        except KeyError:
            clock = time.pthread_getcpuclockid(ident)
            self._clocks[ident] = (clock, time.clock_gettime(clock))
            return 0.0
        now = time.clock_gettime(clock)
        used = now - self._clocks[ident][1]
        self._clocks[ident] = (clock, now)
        return used

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(PROFILE_INTERVAL_S):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                try:
                    used = self._cpu_since_last_look(ident)
                except OSError:  # the thread ended meanwhile
                    continue
                if used <= 0:
                    continue
                self.cpu_s += used
                self.own[_name(frame)] += used
                seen = set()
                walker = frame
                while walker is not None:
                    name = _name(walker)
                    if name not in seen:
                        seen.add(name)
                        self.inclusive[name] += used
                    walker = walker.f_back

    def write(self) -> None:
        self._stop.set()
        total = max(1e-9, self.cpu_s)
        lines = [
            f"{self.cpu_s:.1f} CPU seconds sampled every "
            f"{PROFILE_INTERVAL_S * 1000:g} ms"
        ]
        tables = (("own time", self.own, 40), ("with callees", self.inclusive, 150))
        for title, counter, top in tables:
            lines.append(f"\n-- {title} --")
            for name, used in counter.most_common(top):
                lines.append(f"{100 * used / total:6.1f} %  {name}")
        self.path.write_text("\n".join(lines) + "\n")


def _name(frame) -> str:
    code = frame.f_code
    filename = code.co_filename
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{code.co_name} ({filename}:{code.co_firstlineno})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lag-file", type=Path, required=True)
    parser.add_argument("--profile-file", type=Path)
    args, daphne_args = parser.parse_known_args()
    daphne_args = [arg for arg in daphne_args if arg != "--"]
    from daphne import server
    from daphne.cli import CommandLineInterface

    loop = server.twisted_loop
    tasks = []
    loop.call_soon(lambda: tasks.append(loop.create_task(sample_lag(args.lag_file))))
    if args.profile_file is not None:
        StackSampler(args.profile_file).start()
    sys.argv = ["daphne", *daphne_args]
    CommandLineInterface().run(daphne_args)


if __name__ == "__main__":
    main()
