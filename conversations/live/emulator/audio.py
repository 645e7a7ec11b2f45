"""Audio for the emulator: an energy voice-activity detector and a reply tone.

Input is PCM16 little-endian mono (16 kHz unless the MIME type says otherwise);
output is PCM16 mono at 24 kHz, as the service sends it.

Both run on the emulator's event loop for every stream it serves, so neither may
cost much: the detector sums squares with ``map``, and the reply tone is computed
once and sliced (every reply's tone is a prefix of the longest one).
"""

from __future__ import annotations

import functools
import math
import operator
import re
import sys
from array import array
from dataclasses import dataclass

INPUT_RATE = 16_000
OUTPUT_RATE = 24_000
OUTPUT_MIME = f"audio/pcm;rate={OUTPUT_RATE}"
FRAME_MS = 10
SPEECH_RMS = 500.0  # on the int16 scale; a quiet room stays far below it
SECONDS_PER_CHARACTER = 0.05
_RATE = re.compile(r"rate=(\d+)")


def sample_rate(mime_type: str | None) -> int:
    match = _RATE.search(mime_type or "")
    return int(match.group(1)) if match else INPUT_RATE


@dataclass
class VoiceActivity:
    """What one chunk of audio did to the detector."""

    speech_started: bool = False
    turn_ended: bool = False
    speech_seconds: float = 0.0


class VoiceActivityDetector:
    """Energy VAD: a turn ends after ``silence_ms`` of silence following speech."""

    def __init__(self, silence_ms: int = 500, manual: bool = False) -> None:
        self.silence_ms = silence_ms
        # Manual mode (automatic detection disabled): the client marks turns with
        # activityStart/activityEnd, so silence never ends one.
        self.manual = manual
        self._speech_ms = 0.0
        self._silence_ms = 0.0
        self._in_turn = False
        self._carry = b""

    @property
    def in_turn(self) -> bool:
        return self._in_turn

    def feed(self, pcm: bytes, rate: int = INPUT_RATE) -> VoiceActivity:
        """Feed PCM16 audio; report speech start and turn end in audio time."""
        activity = VoiceActivity()
        data = self._carry + pcm
        frame_bytes = max(2, rate * FRAME_MS // 1000 * 2)
        usable = len(data) - len(data) % frame_bytes
        self._carry = data[usable:]
        everything = array("h", data[:usable])
        if sys.byteorder == "big":
            everything.byteswap()  # the wire is little-endian
        step = frame_bytes // 2
        for start in range(0, len(everything), step):
            samples = everything[start : start + step]
            rms = math.sqrt(sum(map(operator.mul, samples, samples)) / len(samples))
            if rms >= SPEECH_RMS:
                if not self._in_turn:
                    self._in_turn = True
                    activity.speech_started = True
                self._speech_ms += FRAME_MS
                self._silence_ms = 0.0
            elif self._in_turn and not self.manual:
                self._silence_ms += FRAME_MS
                if self._silence_ms >= self.silence_ms:
                    activity.turn_ended = True
                    activity.speech_seconds = self._take_turn()
                    # Later speech in this chunk starts a new turn after this one.
        return activity

    def end_stream(self) -> float | None:
        """Close the pending turn at ``audioStreamEnd``; its speech seconds, if any."""
        self._carry = b""
        if not self._in_turn:
            return None
        return self._take_turn()

    def _take_turn(self) -> float:
        seconds = self._speech_ms / 1000
        self._speech_ms = 0.0
        self._silence_ms = 0.0
        self._in_turn = False
        return seconds


def transcription(seconds: float) -> str:
    """The deterministic transcription of an audio turn."""
    return f"spoken {seconds:.1f}s"


def reply_samples(text: str) -> int:
    """How many samples the reply tone of ``text`` lasts."""
    seconds = max(0.5, len(text) * SECONDS_PER_CHARACTER)
    return int(seconds * OUTPUT_RATE)


def reply_tone(text: str, amplitude: int = 3000) -> bytes:
    """A soft 440 Hz tone whose length is proportional to the reply text."""
    return _tone(amplitude).prefix(reply_samples(text))


@functools.cache
def tone_chunks(samples: int, chunk_samples: int) -> tuple[bytes, ...]:
    """The default reply tone of ``samples`` samples, cut in chunks, kept."""
    pcm = _tone(3000).prefix(samples)
    size = chunk_samples * 2
    return tuple(pcm[i : i + size] for i in range(0, len(pcm), size))


class _Tone:
    """One tone, computed sample by sample once and grown on demand."""

    def __init__(self, amplitude: int) -> None:
        self.amplitude = amplitude
        self.samples = array("h")

    def prefix(self, count: int) -> bytes:
        have = len(self.samples)
        if count > have:
            # At least ten seconds at a time, so growing stays rare.
            self._grow(max(count, have + 10 * OUTPUT_RATE))
        head = self.samples[:count]
        if sys.byteorder == "big":
            head.byteswap()
        return head.tobytes()

    def _grow(self, count: int) -> None:
        step = 2 * math.pi * 440 / OUTPUT_RATE
        amplitude = self.amplitude
        self.samples.extend(
            int(amplitude * math.sin(step * i)) for i in range(len(self.samples), count)
        )


@functools.cache
def _tone(amplitude: int) -> _Tone:
    return _Tone(amplitude)
