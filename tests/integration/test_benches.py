"""The voice, recovery and memory benchmarks, short: they run, judge, count no defect.

No timing or size is asserted (the machine is shared); the counts that must be 0 are.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.harness import ROOT

# The benchmarks choose their own databases and channel layers.
pytestmark = [pytest.mark.slow, pytest.mark.same_on_every_backend]


def run_bench(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout
    assert result.returncode in (0, 1), output + result.stderr[-4000:]
    assert "\nverdict: " in output, output + result.stderr[-4000:]
    return output


def test_voice_bench_runs_and_gives_a_verdict():
    output = run_bench("tests.bench.voice", "--users", "5", "--turns", "2")
    if len(os.sched_getaffinity(0)) > 1:
        # The worker has a core of its own, as the figures assume.
        placement = "worker(s) on core 0, emulator on core 1, load client on core 1"
        assert placement in output
    assert "errors logged 0, turns with no reply 0, sockets not opened 0, " in output
    assert "error events to pages 0" in output


def test_recovery_bench_runs_and_gives_a_verdict():
    output = run_bench(
        "tests.bench.recovery",
        *("--users", "5", "--drops", "1", "--utterances", "1", "--takeovers", "2"),
    )
    assert (
        "errors logged 0, conversations not back 0, utterances lost 0, "
        "answered twice 0" in output
    ), output


def test_memory_bench_runs_and_gives_a_verdict():
    output = run_bench("tests.bench.memory", "--users", "3", "--minutes", "0.1")
    assert "kB per idle open conversation" in output
    assert "errors logged 0, turns with no reply 0" in output
