"""Configuration of a Live session: passed in, never read from the environment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from . import protocol

AuthMode = Literal["ephemeral", "key"]
ResponseModality = Literal["AUDIO", "TEXT"]


@dataclass(frozen=True)
class Compression:
    """Sliding-window compression: trim to `target_tokens` past `trigger_tokens`."""

    trigger_tokens: int = 25_600
    target_tokens: int = 12_800


@dataclass(frozen=True)
class LiveConfig:
    """How to reach Live and how to keep one logical session alive across connections.

    `api_base` is an http(s) base URL (`https://generativelanguage.googleapis.com`, or
    `http://127.0.0.1:8765` for the emulator); the WebSocket scheme follows from it.
    """

    api_base: str
    api_key: str
    model: str
    auth_mode: AuthMode = "ephemeral"
    api_version: str = "v1beta"
    response_modality: ResponseModality = "AUDIO"
    system_instruction: str = ""
    voice: str | None = None
    input_transcription: bool = True
    output_transcription: bool = True
    compression: Compression | None = None
    # Reconnect policy.
    max_attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    # Keepalive: Live's pongs can take 30 s, so silence must last this long to count.
    liveness_timeout_s: float = 60.0
    ping_interval_s: float = 15.0
    open_timeout_s: float = 15.0
    close_timeout_s: float = 3.0
    max_frame_bytes: int = 16 * 1024 * 1024
    # Lifetimes known from the service.
    handle_lifetime_s: float = 7200.0
    goaway_margin_s: float = 5.0
    session_cap_s: float = 900.0
    cap_warning_lead_s: float = 60.0
    # Ephemeral tokens: short enough that a leaked one is useless soon.
    token_new_session_ttl_s: float = 60.0
    token_expire_ttl_s: float = 1800.0
    token_timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if not self.api_base.startswith(("http://", "https://")):
            raise ValueError("api_base must start with http:// or https://")
        if not self.api_key:
            raise ValueError("api_key is required")
        if not self.model or self.model.startswith("models/"):
            raise ValueError("model must be a bare model id such as 'gemini-3.8-live'")
        if self.auth_mode not in ("ephemeral", "key"):
            raise ValueError("auth_mode must be 'ephemeral' or 'key'")
        if self.response_modality not in ("AUDIO", "TEXT"):
            raise ValueError("response_modality must be 'AUDIO' or 'TEXT'")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        # A base above the cap is fine: the cap wins.
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("backoff delays cannot be negative")
        if self.liveness_timeout_s <= 0:
            raise ValueError("liveness_timeout_s must be positive")

    def setup_message(self, resumption_handle: str | None) -> dict[str, Any]:
        """The `setup` message of one connection (resuming when a handle is given)."""
        compression = self.compression
        return protocol.build_setup(
            model=self.model,
            response_modality=self.response_modality,
            system_instruction=self.system_instruction,
            voice=self.voice,
            input_transcription=self.input_transcription,
            output_transcription=self.output_transcription,
            resumption_handle=resumption_handle,
            compression_trigger_tokens=compression.trigger_tokens
            if compression
            else None,
            compression_target_tokens=compression.target_tokens
            if compression
            else None,
        )
