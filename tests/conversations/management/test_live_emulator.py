"""The emulator on its own: the management command and TLS."""

from __future__ import annotations

import signal
import ssl

import httpx
import pytest

from conversations.live.emulator import EmulatorConfig, LiveEmulator
from tests.conversations.live.emulator.wire_client import (
    open_session,
    text_setup,
    text_turn,
    ws_url,
)

# The emulator has no database or channel layer.
pytestmark = pytest.mark.same_on_every_backend


def test_command_prints_its_url_and_answers(emulator_command):
    with emulator_command(
        "--host", "127.0.0.1", "--connection-lifetime", "30", "--goaway-lead", "5",
        "--handle-lifetime", "60", "--session-cap", "60",
    ) as (emulator, lines):  # fmt: skip
        assert lines[0] == f"Live emulator listening on {emulator.base_url}"
        response = httpx.get(f"{emulator.base_url}/emulator/sessions")
        assert response.json() == {
            "sessions": [],
            "tokens": {"minted": 0, "accepted": 0, "refused": 0},
        }


def ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("signum", "started_by"),
    [
        (signal.SIGINT, None),
        (signal.SIGTERM, None),
        # A shell starts a background command with SIGINT ignored.
        (signal.SIGINT, ignore_sigint),
    ],
    ids=["ctrl-c", "sigterm", "ctrl-c-in-the-background"],
)
def test_command_stops_cleanly_when_told(signum, started_by, emulator_command):
    with emulator_command(preexec_fn=started_by) as (emulator, lines):
        assert lines[0].startswith("Live emulator listening on")
        emulator.process.send_signal(signum)
        assert emulator.process.wait(timeout=10) == 0
        assert "Traceback" not in emulator.process.stderr.read()


async def test_tls_serves_wss_with_a_self_signed_certificate():
    live = LiveEmulator(EmulatorConfig(reply_chunk_delay_s=0.005, tls=True))
    await live.start()
    try:
        assert live.base_url.startswith("https://127.0.0.1:")
        trust = ssl.create_default_context(cafile=str(live.certificate_path))
        ws = await open_session(ws_url(live), text_setup(), ssl=trust)
        assert (await text_turn(ws, "secure")).startswith("Turn 1.")
        await ws.close()
        async with httpx.AsyncClient(verify=trust) as client:
            response = await client.get(f"{live.base_url}/emulator/sessions")
        assert response.status_code == 200
    finally:
        await live.stop()
