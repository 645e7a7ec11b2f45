"""One Live connection: authentication, setup, turns, replies, handles, deadlines."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import audio
from .state import AuthToken, EmulatedSession, Turn
from .tokens import apply_constraints
from .websocket import WebSocketLink
from .wire import (
    AUDIO_ONLY_MODELS,
    DEADLINE_EXPIRED,
    INTERNAL_ERROR,
    INVALID_API_KEY,
    INVALID_ARGUMENT,
    INVALID_PAYLOAD,
    LIVE_MODELS,
    MODALITIES,
    NOT_FOUND,
    POLICY_VIOLATION,
    UNAVAILABLE,
    UNREGISTERED_CALLER,
    WireError,
    content_text,
    decode_base64,
    encode_base64,
    encode_server_message,
    format_duration,
    model_not_found,
    parse_client_message,
)

if TYPE_CHECKING:
    from .server import LiveEmulator

logger = logging.getLogger(__name__)
AUDIO_CHUNK_S = 0.1
TOKEN_PREFIX = "auth_tokens/"


@dataclass(frozen=True)
class PresentedCredential:
    """What the handshake carried: an API key or a token, and how it came."""

    value: str
    carrier: str  # "key" (?key= / x-goog-api-key) or "token" (access_token / Token)


@dataclass(frozen=True)
class Endpoint:
    api_version: str
    constrained: bool


class EmulatedConnection:
    """The server side of one Live WebSocket."""

    def __init__(
        self,
        emulator: LiveEmulator,
        link: WebSocketLink,
        endpoint: Endpoint,
        credential: PresentedCredential | None,
    ) -> None:
        self.emulator = emulator
        self.config = emulator.config
        self.link = link
        self.endpoint = endpoint
        self.credential = credential
        self.token: AuthToken | None = None
        self.session: EmulatedSession | None = None
        self.setup: dict[str, Any] = {}
        self.modality = "AUDIO"
        self.closing = False
        self.told_to_go = False  # a goAway was sent
        self._generation: asyncio.Task[None] | None = None
        self._finishing = False
        self._streamed = ""
        self._timers: set[asyncio.Task[None]] = set()
        self._vad = audio.VoiceActivityDetector()

    # -- lifecycle -----------------------------------------------------------
    async def run(self) -> None:
        self._start_timer(self.config.connection_lifetime_s, self._end_of_lifetime)
        try:
            first = await self.link.recv()
            if first is None:
                return
            await self._open(first)
            while self.session is not None and not self.closing:
                raw = await self.link.recv()
                if raw is None:
                    break
                await self._handle(raw)
        except WireError as error:
            await self.close(error.code, error.reason)
        except Exception:
            # A frame nobody foresaw must cost this socket, never the server.
            logger.exception("Live emulator connection failed")
            await self.close(INTERNAL_ERROR, "Internal error encountered.")
        finally:
            await self._cleanup()

    async def _cleanup(self) -> None:
        for timer in list(self._timers):
            timer.cancel()
        if self._generation is not None and not self._generation.done():
            self._generation.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._generation
            self._record_partial_reply()
        if self.session is not None:
            self.session.open_connections -= 1
            self.session.last_connection_ended_at = time.monotonic()

    async def close(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        await self.link.close(code, reason)

    def _start_timer(self, delay: float, action: Any, *args: Any) -> None:
        async def fire() -> None:
            await asyncio.sleep(max(0.0, delay))
            await action(*args)

        task = asyncio.create_task(fire())
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def _end_of_lifetime(self) -> None:
        await self.close(INTERNAL_ERROR, DEADLINE_EXPIRED)

    async def go_away(self, time_left_s: float) -> None:
        """Announce the end of this connection, then end it after ``time_left_s``."""
        self.told_to_go = True
        await self.send({"goAway": {"timeLeft": format_duration(time_left_s)}})
        self._start_timer(time_left_s, self._end_of_lifetime)

    async def send(self, message: dict[str, Any]) -> None:
        await self.link.send(encode_server_message(message))

    # -- authentication and setup ----------------------------------------------
    def _authenticate(self) -> None:
        credential = self.credential
        if credential is None:
            raise WireError(POLICY_VIOLATION, UNREGISTERED_CALLER)
        is_token = credential.value.startswith(TOKEN_PREFIX)
        if not self.endpoint.constrained and is_token:
            # §1.2: a token on the plain method is not an identity there.
            if credential.carrier == "key":
                raise WireError(INVALID_PAYLOAD, INVALID_API_KEY)
            raise WireError(POLICY_VIOLATION, UNREGISTERED_CALLER)
        if not is_token:
            if credential.carrier == "token":
                raise WireError(POLICY_VIOLATION, UNREGISTERED_CALLER)
            if credential.value not in self.config.api_keys:
                raise WireError(INVALID_PAYLOAD, INVALID_API_KEY)
            return
        token = self.emulator.tokens.tokens.get(credential.value)
        if token is None or time.time() > token.expire_time:
            self._refuse_token()
        self.token = token

    def _refuse_token(self) -> None:
        # A spent, late or unknown token establishes no identity, so it gets the
        # unregistered-caller close of §1.2 / §4.4 (1008), not a retryable 1011.
        self.emulator.tokens.refused += 1
        raise WireError(POLICY_VIOLATION, UNREGISTERED_CALLER)

    async def _open(self, first: str | bytes) -> None:
        self._authenticate()
        kind, body = parse_client_message(first)
        if kind != "setup":
            raise WireError(
                INVALID_PAYLOAD, f"{INVALID_ARGUMENT} The first message must be setup."
            )
        setup = apply_constraints(body, self.token) if self.token else body
        self._check_setup(setup)
        handle = (setup.get("session_resumption") or {}).get("handle")
        if handle:
            self._resume(str(handle), setup["model"])
        else:
            self._start_session(setup["model"])
        self.setup = setup
        detection = (setup.get("realtime_input_config") or {}).get(
            "automatic_activity_detection"
        ) or {}
        silence = detection.get("silence_duration_ms")
        silence_ms = int(str(silence)) if str(silence).isdigit() else 500
        self._vad = audio.VoiceActivityDetector(
            silence_ms, manual=detection.get("disabled") is True
        )
        await self.send({"setupComplete": {}})
        await self._issue_handle()
        self._schedule_deadlines()

    def _check_setup(self, setup: dict[str, Any]) -> None:
        model = setup.get("model")
        if not isinstance(model, str) or not model:
            raise WireError(
                INVALID_PAYLOAD, f"{INVALID_ARGUMENT} setup.model is required."
            )
        model_id = model.removeprefix("models/")
        if not model.startswith("models/") or model_id not in LIVE_MODELS:
            raise WireError(
                POLICY_VIOLATION, model_not_found(model, self.endpoint.api_version)
            )
        config = setup.get("generation_config") or {}
        modalities = config.get("response_modalities") or ["AUDIO"]
        if not isinstance(modalities, list) or any(
            m not in MODALITIES for m in modalities
        ):
            raise WireError(
                INVALID_PAYLOAD,
                "Invalid JSON payload received. Invalid value at "
                "'setup.generation_config.response_modalities'",
            )
        if len(set(modalities)) > 1:
            raise WireError(
                INVALID_PAYLOAD,
                f"{INVALID_ARGUMENT} Only one response modality is supported "
                "per session.",
            )
        self.modality = modalities[0]
        if self.modality != "AUDIO" and model_id in AUDIO_ONLY_MODELS:
            raise WireError(
                INVALID_PAYLOAD,
                f"{INVALID_ARGUMENT} {model} supports only the AUDIO "
                "response modality.",
            )

    def _start_session(self, model: str) -> None:
        if self.token is not None:
            token = self.token
            if time.time() > token.new_session_expire_time or token.spent():
                self._refuse_token()
            token.used += 1
            self.emulator.tokens.accepted += 1
        self.session = self.emulator.new_session(model)
        self._attach()

    def _resume(self, name: str, model: str) -> None:
        handle = self.emulator.handles.resolve(name)
        if handle is None:
            raise WireError(POLICY_VIOLATION, NOT_FOUND)
        session = handle.session
        if session.open_connections > 0:
            raise WireError(INTERNAL_ERROR, UNAVAILABLE)
        if session.model != model:
            raise WireError(
                INVALID_PAYLOAD,
                f"{INVALID_ARGUMENT} The model cannot change when a "
                "session is resumed.",
            )
        if self.token is not None:
            # Resuming does not count as a use of the token (§1.3, §4.2).
            self.emulator.tokens.accepted += 1
        session.context = list(handle.context)
        session.seeded_turns = handle.seeded_turns
        session.resumed_connections += 1
        self.session = session
        self._attach()

    def _attach(self) -> None:
        assert self.session is not None
        self.session.connections += 1
        self.session.open_connections += 1

    def _schedule_deadlines(self) -> None:
        config = self.config
        lead_at = config.connection_lifetime_s - config.goaway_lead_s
        self._start_timer(lead_at, self._announce_end, config.goaway_lead_s)
        compressed = "context_window_compression" in self.setup
        if self.modality == "AUDIO" and not compressed:
            assert self.session is not None
            elapsed = time.monotonic() - self.session.created_at
            self._start_timer(config.session_cap_s - elapsed, self._end_session_at_cap)

    async def _announce_end(self, lead: float) -> None:
        await self.send({"goAway": {"timeLeft": format_duration(lead)}})

    async def _end_session_at_cap(self) -> None:
        assert self.session is not None
        self.session.ended = True
        cap = self.config.session_cap_s
        await self.close(
            INTERNAL_ERROR,
            f"Session limit of {cap:g}s reached; audio sessions without "
            "contextWindowCompression end there.",
        )

    async def _issue_handle(self) -> None:
        if self.session is None or "session_resumption" not in self.setup:
            return
        name = self.emulator.handles.issue(self.session)
        await self.send(
            {"sessionResumptionUpdate": {"newHandle": name, "resumable": True}}
        )

    # -- client messages ---------------------------------------------------------
    async def _handle(self, raw: str | bytes) -> None:
        if self.token is not None and time.time() > self.token.expire_time:
            self._refuse_token()
        kind, body = parse_client_message(raw)
        if kind == "setup":
            raise WireError(
                INVALID_PAYLOAD, f"{INVALID_ARGUMENT} setup may be sent only once."
            )
        if kind == "client_content":
            await self._client_content(body)
        elif kind == "realtime_input":
            await self._realtime_input(body)

    async def _client_content(self, body: dict[str, Any]) -> None:
        assert self.session is not None
        turns = body.get("turns") or []
        complete = body.get("turn_complete") is True
        if complete or turns:
            await self._interrupt()
        for content in turns:
            role = "model" if content.get("role") == "model" else "user"
            self.session.context.append(Turn(role, content_text(content)))
            if role == "user" and not complete:
                self.session.seeded_turns += 1
        if complete:
            self._start_reply()
        elif turns:
            await self._issue_handle()

    async def _realtime_input(self, body: dict[str, Any]) -> None:
        text = body.get("text")
        if isinstance(text, str) and text:
            await self._user_turn(text)
        blob = body.get("audio")
        if blob is None and body.get("media_chunks"):
            blob = body["media_chunks"][0]  # deprecated; only the first chunk counts
        if isinstance(blob, dict) and "data" in blob:
            mime = blob.get("mime_type")
            if mime is None or str(mime).startswith("audio/"):
                pcm = decode_base64(blob["data"], "realtime_input.audio.data")
                await self._audio(pcm, audio.sample_rate(mime))
        if body.get("activity_start") is not None and self._vad.manual:
            if self._interrupts():
                await self._interrupt()
        end_of_turn = body.get("audio_stream_end") is True or (
            body.get("activity_end") is not None and self._vad.manual
        )
        if end_of_turn:
            seconds = self._vad.end_stream()
            if seconds is not None:
                await self._audio_turn(seconds)

    async def _audio(self, pcm: bytes, rate: int) -> None:
        activity = self._vad.feed(pcm, rate)
        if activity.speech_started and not self._vad.manual and self._interrupts():
            await self._interrupt()
        if activity.turn_ended:
            await self._audio_turn(activity.speech_seconds)

    async def _audio_turn(self, seconds: float) -> None:
        text = audio.transcription(seconds)
        if "input_audio_transcription" in self.setup:
            await self.send(
                {
                    "serverContent": {
                        "inputTranscription": {"text": text, "finished": True}
                    }
                }
            )
        await self._user_turn(text)

    def _interrupts(self) -> bool:
        handling = (self.setup.get("realtime_input_config") or {}).get(
            "activity_handling"
        )
        return handling != "NO_INTERRUPTION"

    async def _user_turn(self, text: str) -> None:
        assert self.session is not None
        if self._interrupts():
            await self._interrupt()
        elif self._generation is not None:
            await asyncio.shield(self._generation)
        self.session.context.append(Turn("user", text))
        self._start_reply()

    # -- replies -------------------------------------------------------------
    def _start_reply(self) -> None:
        self._generation = asyncio.create_task(self._reply())

    def _reply_text(self) -> str:
        assert self.session is not None
        users = self.session.user_turns
        last = users[-1] if users else ""
        first = users[0] if users else ""
        return f'Turn {len(users)}. You said "{last}". You first said "{first}".'

    async def _reply(self) -> None:
        assert self.session is not None
        text = self._reply_text()
        self._streamed = ""
        self._finishing = False
        if "session_resumption" in self.setup:
            await self.send(
                {"sessionResumptionUpdate": {"newHandle": "", "resumable": False}}
            )
        if self.modality == "AUDIO":
            await self._stream_audio(text)
        else:
            await self._stream_text(text)
        self._finishing = True
        self.session.replies.append(text)
        self.session.interrupted.append(False)
        self.session.context.append(Turn("model", text))
        await self.send({"serverContent": {"generationComplete": True}})
        await self.send(
            {
                "serverContent": {"turnComplete": True},
                "usageMetadata": self._usage(text),
            }
        )
        await self._issue_handle()

    async def _stream_text(self, text: str) -> None:
        words = text.split(" ")
        for index, word in enumerate(words):
            piece = word if index == len(words) - 1 else word + " "
            self._streamed += piece
            await self.send(
                {"serverContent": {"modelTurn": {"parts": [{"text": piece}]}}}
            )
            await asyncio.sleep(self.config.reply_chunk_delay_s)

    async def _stream_audio(self, text: str) -> None:
        chunks = _audio_frames(audio.reply_samples(text))
        words = text.split(" ")
        pieces = [w if i == len(words) - 1 else w + " " for i, w in enumerate(words)]
        transcribe = "output_audio_transcription" in self.setup
        sent_pieces = 0
        for index, chunk in enumerate(chunks):
            # Round up so the transcript leads the audio a little, as Live's does.
            due = -(-len(pieces) * (index + 1) // len(chunks))
            piece = "".join(pieces[sent_pieces:due])
            sent_pieces = due
            await self.link.send(chunk)
            if piece:
                self._streamed += piece
                if transcribe:
                    await self.send(
                        {"serverContent": {"outputTranscription": {"text": piece}}}
                    )
            await asyncio.sleep(self.config.reply_chunk_delay_s)

    def _usage(self, reply: str) -> dict[str, Any]:
        assert self.session is not None
        prompt = sum(len(turn.text) for turn in self.session.context) // 4 + 1
        response = len(reply) // 4 + 1
        usage: dict[str, Any] = {
            "promptTokenCount": prompt,
            "responseTokenCount": response,
            "totalTokenCount": prompt + response,
        }
        usage["responseTokensDetails"] = [
            {"modality": self.modality, "tokenCount": response}
        ]
        return usage

    async def _interrupt(self) -> None:
        """Barge-in: cut a streaming reply, keeping what was already streamed."""
        task = self._generation
        if task is None or task.done():
            return
        if self._finishing:
            await asyncio.shield(task)
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._record_partial_reply()
        await self.send({"serverContent": {"interrupted": True}})
        await self.send({"serverContent": {"turnComplete": True}})

    def _record_partial_reply(self) -> None:
        if self.session is None or self._finishing:
            return
        self._generation = None
        partial = self._streamed.rstrip()
        if partial:
            self.session.replies.append(partial)
            self.session.interrupted.append(True)
            self.session.context.append(Turn("model", partial))


@functools.cache
def _audio_frames(samples: int) -> tuple[bytes, ...]:
    """The encoded modelTurn messages of a reply tone, built once per length.

    Every reply's tone is the same sound cut at another length: encoding it
    again for each reply cost the emulator's loop milliseconds per turn.
    """
    chunk_samples = int(audio.OUTPUT_RATE * AUDIO_CHUNK_S)
    return tuple(
        _audio_frame(chunk) for chunk in audio.tone_chunks(samples, chunk_samples)
    )


@functools.lru_cache(maxsize=1024)
def _audio_frame(pcm: bytes) -> bytes:
    part = {"inlineData": {"mimeType": audio.OUTPUT_MIME, "data": encode_base64(pcm)}}
    return encode_server_message({"serverContent": {"modelTurn": {"parts": [part]}}})
