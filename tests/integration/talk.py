"""What the end-to-end tests do over a browser socket, and what they check after."""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator

from tests.integration.socket_client import BrowserSocket

PASSWORD = "e2e-password-123"
EMAIL = "ada@example.com"


def reply(n: int, said: str, first: str) -> str:
    return f'Turn {n}. You said "{said}". You first said "{first}".'


def assert_consistent(app_server, public_id: str) -> list[dict]:
    """Gap-free seq from 1, no duplicate turn, and Live's context agrees."""
    items = app_server.transcript(public_id)
    assert [item["seq"] for item in items] == list(range(1, len(items) + 1))
    user_turns = [item["content"] for item in items if item["role"] == "user"]
    assert len(user_turns) == len(set(user_turns)), user_turns
    # The Live session the conversation ended in holds every stored user turn,
    # once and in order: resumed with its handle, or seeded from the transcript.
    sessions = app_server.emulator_sessions()["sessions"]
    assert sessions[-1]["user_turns"] == user_turns
    return items


async def open_conversation(app_server, cookie, mode="text", worker=None):
    public_id = app_server.create_conversation(EMAIL, mode=mode)
    socket = await BrowserSocket.open(
        worker or app_server.workers[0], public_id, cookie
    )
    await socket.hello()
    await socket.expect("session.created")
    return public_id, socket


async def say(socket: BrowserSocket, text: str) -> dict:
    await socket.send(type="text", text=text)
    return await socket.expect(
        "transcript.item", lambda e: e["role"] == "assistant" and text in e["content"]
    )


def pcm16_tone(seconds: float, rate: int = 16000, hz: float = 220.0) -> bytes:
    samples = int(seconds * rate)
    return struct.pack(
        f"<{samples}h",
        *(int(8000 * math.sin(2 * math.pi * hz * n / rate)) for n in range(samples)),
    )


def pcm16_silence(seconds: float, rate: int = 16000) -> bytes:
    return b"\x00\x00" * int(seconds * rate)


def chunks(pcm: bytes, size: int = 3200) -> Iterator[bytes]:
    for start in range(0, len(pcm), size):
        yield pcm[start : start + size]
