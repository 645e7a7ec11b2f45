"""Raw-socket helpers for the emulator's tests: URLs, setup, turns, closes."""

from __future__ import annotations

import asyncio
import base64
import json
import math
from array import array
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

KEY = "emulator-key"
TEXT_MODEL = "models/gemini-3.1-flash-live-preview"
AUDIO_MODEL = "models/gemini-3.8-live"
SERVICE = "google.ai.generativelanguage.{version}.GenerativeService.{method}"


def ws_url(
    emulator: Any,
    query: str = f"key={KEY}",
    version: str = "v1beta",
    method: str = "BidiGenerateContent",
) -> str:
    scheme = "wss" if emulator.base_url.startswith("https") else "ws"
    path = "/ws/" + SERVICE.format(version=version, method=method)
    return f"{scheme}://127.0.0.1:{emulator.port}{path}" + (
        f"?{query}" if query else ""
    )


def text_setup(**extra: Any) -> dict[str, Any]:
    return {
        "setup": {
            "model": TEXT_MODEL,
            "generationConfig": {"responseModalities": ["TEXT"]},
            **extra,
        }
    }


def audio_setup(**extra: Any) -> dict[str, Any]:
    return {
        "setup": {
            "model": AUDIO_MODEL,
            "generationConfig": {"responseModalities": ["AUDIO"]},
            "inputAudioTranscription": {},
            "outputAudioTranscription": {},
            **extra,
        }
    }


def user_text(text: str) -> dict[str, Any]:
    return {
        "clientContent": {
            "turns": [{"role": "user", "parts": [{"text": text}]}],
            "turnComplete": True,
        }
    }


async def recv_json(ws: ClientConnection, wait_s: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), wait_s))


async def open_session(
    url: str, setup: dict[str, Any], **connect_args: Any
) -> ClientConnection:
    """Connect, send setup, and read setupComplete (and the first handle)."""
    ws = await connect(url, **connect_args)
    await ws.send(json.dumps(setup))
    assert await recv_json(ws) == {"setupComplete": {}}
    return ws


async def read_turn(ws: ClientConnection) -> list[dict[str, Any]]:
    """Messages up to and including the one with turnComplete."""
    messages = []
    while True:
        message = await recv_json(ws)
        messages.append(message)
        if message.get("serverContent", {}).get("turnComplete"):
            return messages


def reply_text(messages: list[dict[str, Any]]) -> str:
    return "".join(
        part.get("text", "")
        for m in messages
        for part in m.get("serverContent", {}).get("modelTurn", {}).get("parts", [])
    )


async def latest_handle(ws: ClientConnection) -> str:
    """Read until a resumable sessionResumptionUpdate arrives; return its handle."""
    while True:
        update = (await recv_json(ws)).get("sessionResumptionUpdate")
        if update and update["resumable"]:
            return update["newHandle"]


async def text_turn(ws: ClientConnection, text: str) -> str:
    await ws.send(json.dumps(user_text(text)))
    return reply_text(await read_turn(ws))


async def close_of(ws: ClientConnection, wait_s: float = 5.0) -> tuple[int | None, str]:
    """Read until the server closes; the close code and reason it sent."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), wait_s)
    except ConnectionClosed as closed:
        frame = closed.rcvd
        return (frame.code, frame.reason) if frame else (None, "")


async def refused(url: str, setup: dict[str, Any], **connect_args: Any) -> tuple:
    """Open a socket, send setup, return the close the server answers with."""
    async with connect(url, **connect_args) as ws:
        await ws.send(json.dumps(setup))
        return await close_of(ws)


def pcm16(seconds: float, amplitude: int, rate: int = 16_000) -> bytes:
    count = int(seconds * rate)
    step = 2 * math.pi * 300 / rate
    return array(
        "h", (int(amplitude * math.sin(step * i)) for i in range(count))
    ).tobytes()


def speech_then_silence(speech_s: float = 0.5, silence_s: float = 0.6) -> bytes:
    return pcm16(speech_s, 8000) + pcm16(silence_s, 0)


def audio_message(pcm: bytes, urlsafe: bool = False, padded: bool = True) -> str:
    encoder = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    data = encoder(pcm).decode()
    if not padded:
        data = data.rstrip("=")
    return json.dumps(
        {"realtimeInput": {"audio": {"mimeType": "audio/pcm;rate=16000", "data": data}}}
    )
