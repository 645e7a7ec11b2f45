"""`manage.py live_emulator --api-key`: the keys it accepts, said at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conversations.live.emulator.wire_client import (
    open_session,
    refused,
    text_setup,
    text_turn,
    ws_url,
)
from tests.harness import free_port

ROOT = Path(__file__).resolve().parents[3]
# The emulator has no database or channel layer.
pytestmark = pytest.mark.same_on_every_backend
INVALID_KEY = (1007, "API key not valid. Please pass a valid API key.")


def test_the_default_key_is_printed_at_start_up(emulator_command):
    with emulator_command() as (_, lines):
        assert lines[1] == "Accepted API keys: emulator-key"


def test_every_given_key_is_printed_at_start_up(emulator_command):
    with emulator_command("--api-key", "beta-key", "--api-key", "alpha-key") as (
        _,
        lines,
    ):
        assert lines[1] == "Accepted API keys: alpha-key, beta-key"


@pytest.mark.parametrize("key", ["alpha-key", "beta-key"])
async def test_a_given_key_opens_a_session(key, emulator_command):
    with emulator_command("--api-key", "alpha-key", "--api-key", "beta-key") as (
        emulator,
        _,
    ):
        ws = await open_session(ws_url(emulator, query=f"key={key}"), text_setup())
        assert (await text_turn(ws, "hello")).startswith("Turn 1.")
        await ws.close()


async def test_the_default_key_is_refused_once_keys_are_given(emulator_command):
    with emulator_command("--api-key", "alpha-key") as (emulator, _):
        url = ws_url(emulator, query="key=emulator-key")
        assert await refused(url, text_setup()) == INVALID_KEY


async def test_the_default_key_opens_a_session_when_no_key_is_given(emulator_command):
    with emulator_command() as (emulator, _):
        ws = await open_session(ws_url(emulator), text_setup())
        assert (await text_turn(ws, "hello")).startswith("Turn 1.")
        await ws.close()


def test_a_blank_key_is_refused_before_start_up():
    result = subprocess.run(
        [sys.executable, "manage.py", "live_emulator", "--port", str(free_port()),
         "--api-key", " "],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "--api-key" in result.stderr
