"""`manage.py live_emulator` in a process of its own, for the command's tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.harness import free_port

ROOT = Path(__file__).resolve().parents[3]

Started = tuple[SimpleNamespace, list[str]]
EmulatorCommand = Callable[..., AbstractContextManager[Started]]


@pytest.fixture
def emulator_command() -> EmulatorCommand:
    """Run the command on a free port; yield where it listens and its first lines.

    The command is stopped with SIGINT (Ctrl-C) on the way out, and must stop.
    """

    @contextmanager
    def run(
        *args: str, preexec_fn: Callable[[], None] | None = None
    ) -> Iterator[Started]:
        port = free_port()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
        process = subprocess.Popen(
            [sys.executable, "manage.py", "live_emulator", "--port", str(port), *args],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, preexec_fn=preexec_fn,
        )  # fmt: skip
        try:
            lines = [process.stdout.readline().strip() for _ in range(2)]
            base_url = f"http://127.0.0.1:{port}"
            yield SimpleNamespace(port=port, base_url=base_url, process=process), lines
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            finally:
                process.kill()
                process.wait()
                process.stdout.close()
                process.stderr.close()

    return run
