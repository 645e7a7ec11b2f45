"""Python run in a fresh interpreter of the project, with only the environment given.

For what is decided at start-up (settings, logging), which a test process that has
already set Django up cannot show.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.harness import ROOT

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k3$-production-secret-" + "x7Qp2vLm9Zr4" * 4,
    "DJANGO_ALLOWED_HOSTS": "continuum.example.com",
    "RESUMPTION_HANDLE_KEY": "NtAZC-3JKRGP7QCxAJDz7A3T2VhvCdVnIFIZRP5Smck=",
}


def run_python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run Python in the project with only `env` on top of a minimal environment."""
    base = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
