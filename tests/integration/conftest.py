"""Fixtures for end-to-end tests against live Daphne workers."""

from __future__ import annotations

import math
import struct

import pytest

PASSWORD = "e2e-password-123"
EMAIL = "ada@example.com"


@pytest.fixture
def account(app_server):
    """A user with a session cookie on the first worker."""
    app_server.create_user(EMAIL, PASSWORD)
    return app_server.login(EMAIL, PASSWORD)


def pcm16_tone(seconds: float, rate: int = 16000, hz: float = 220.0) -> bytes:
    samples = int(seconds * rate)
    return struct.pack(
        f"<{samples}h",
        *(int(8000 * math.sin(2 * math.pi * hz * n / rate)) for n in range(samples)),
    )


def pcm16_silence(seconds: float, rate: int = 16000) -> bytes:
    return b"\x00\x00" * int(seconds * rate)


def chunks(pcm: bytes, size: int = 3200):
    for start in range(0, len(pcm), size):
        yield pcm[start : start + size]
