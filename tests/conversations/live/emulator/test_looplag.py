"""The emulator's own loop lag, read over HTTP, and a reply tone that is cached."""

from __future__ import annotations

import asyncio
import math
from array import array

import httpx

from conversations.live.emulator import audio


async def test_loop_lag_is_sampled_and_reset_over_http(emulator):
    await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=emulator.base_url) as client:
        first = (await client.get("/emulator/loop_lag?reset=1")).json()
        after_reset = (await client.get("/emulator/loop_lag")).json()
    assert first["samples"] > 0
    assert set(first) == {"samples", "p50_ms", "p99_ms", "max_ms"}
    assert first["p50_ms"] <= first["p99_ms"] <= first["max_ms"]
    assert after_reset["samples"] < first["samples"]


def test_reply_tone_is_the_tone_computed_sample_by_sample():
    step = 2 * math.pi * 440 / audio.OUTPUT_RATE
    for text in ("", "x" * 61, "x" * 400):
        count = audio.reply_samples(text)
        expected = array("h", (int(3000 * math.sin(step * i)) for i in range(count)))
        assert audio.reply_tone(text) == expected.tobytes()


def test_tone_chunks_put_together_are_the_reply_tone():
    text = 'Turn 1. You said "spoken 0.6s". You first said "spoken 0.6s".'
    chunks = audio.tone_chunks(audio.reply_samples(text), 2400)
    assert b"".join(chunks) == audio.reply_tone(text)
    assert {len(chunk) for chunk in chunks[:-1]} == {4800}
